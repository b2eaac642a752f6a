-- Event-time guarded upsert of one database's snapshot (dbmetrics streams-app).
-- KEYS[1] dbm:{id}:fresh  KEYS[2] dbm:{id}:stale  KEYS[3] dbm:{id}:ts
-- ARGV[1] event time (epoch ms)  ARGV[2] snapshot JSON, or '' for a tombstone
-- ARGV[3] fresh TTL (ms)  ARGV[4] stale TTL (ms)
-- ARGV[5] channel of snapshots  ARGV[6] channel of removals  ARGV[7] the removal message (tombstones only)
-- Returns 1 when written (and published on the live feed), 0 when an equal or newer event time is already stored.
local stored = redis.call('GET', KEYS[3])
if stored and tonumber(stored) >= tonumber(ARGV[1]) then
  return 0
end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1], KEYS[2])
  redis.call('PUBLISH', ARGV[6], ARGV[7])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
  redis.call('PUBLISH', ARGV[5], ARGV[2])
end
redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[4])
return 1
