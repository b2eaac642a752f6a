-- Leases rate-limit permits to one API instance in one round trip (dbmetrics query-api).
-- Sliding-window estimate per scope: the previous window's count weighted by the part of it still inside the sliding
-- window, plus the current window's count (which includes every permit already leased to any instance). A scope
-- grants min(wanted, what is left); all scopes must grant at least one, else nothing is granted. Permits are counted
-- when leased, so all instances together never admit more than the limit.
-- KEYS: for scope i, KEYS[2i-1] = current window counter, KEYS[2i] = previous window counter
-- ARGV[1] = window length in ms; for scope i: ARGV[3i-1] = its limit, ARGV[3i] = permits wanted, ARGV[3i+1] = ms
-- elapsed in its current window (each subject's windows start at its own offset, so elapsed differs per scope)
-- Returns {1, 0, grant_1, left_1, grant_2, left_2, ...} or {0, failing scope index, retry after ms}
local window = tonumber(ARGV[1])
local scopes = #KEYS / 2
local grants = {}
local lefts = {}
for i = 1, scopes do
  local limit = tonumber(ARGV[3 * i - 1])
  local want = tonumber(ARGV[3 * i])
  local elapsed = tonumber(ARGV[3 * i + 1])
  local weight = (window - elapsed) / window
  local current = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local previous = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  local available = math.floor(limit - (previous * weight + current))
  if available < 1 then
    local retry
    if current + 1 > limit then
      -- full even without the previous window: wait for the next window, then for this one's weight to fade
      retry = (window - elapsed) + math.ceil(window * (current - limit + 1) / current)
    else
      -- the previous window's weight must fade until one permit frees
      retry = math.ceil(window * (previous + current - limit + 1) / previous) - elapsed
    end
    if retry < 1 then retry = 1 end
    return {0, i, retry}
  end
  grants[i] = math.min(want, available)
  lefts[i] = available - grants[i]
end
local result = {1, 0}
for i = 1, scopes do
  redis.call('INCRBY', KEYS[2 * i - 1], grants[i])
  redis.call('PEXPIRE', KEYS[2 * i - 1], 2 * window)
  result[#result + 1] = grants[i]
  result[#result + 1] = lefts[i]
end
return result
