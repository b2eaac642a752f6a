-- Decides every applicable rate limit of one request in one round trip (dbmetrics query-api).
-- Sliding-window estimate per scope: previous window's count weighted by the part of it still inside the sliding
-- window, plus the current window's count. All scopes must pass; only then is every scope's counter incremented.
-- KEYS: for scope i, KEYS[2i-1] = current window counter, KEYS[2i] = previous window counter
-- ARGV[1] = ms elapsed in the current window, ARGV[2] = window length in ms, ARGV[3..] = limit of each scope
-- Returns {allowed (1|0), failing scope index (0 when allowed), remaining of scope 1, retry after ms}
local elapsed = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local weight = (window - elapsed) / window
local scopes = #KEYS / 2
local remaining_first = 0
for i = 1, scopes do
  local limit = tonumber(ARGV[2 + i])
  local current = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local previous = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  local estimate = previous * weight + current
  if estimate + 1 > limit then
    local retry
    if current + 1 > limit then
      -- full even without the previous window: wait for the next window, then for this one's weight to fade
      retry = (window - elapsed) + math.ceil(window * (current - limit + 1) / current)
    else
      -- the previous window's weight must fade until one slot frees
      retry = math.ceil(window * (previous + current - limit + 1) / previous) - elapsed
    end
    if retry < 1 then retry = 1 end
    return {0, i, 0, retry}
  end
  if i == 1 then remaining_first = math.floor(limit - estimate - 1) end
end
for i = 1, scopes do
  redis.call('INCR', KEYS[2 * i - 1])
  redis.call('PEXPIRE', KEYS[2 * i - 1], 2 * window)
end
return {1, 0, remaining_first, 0}
