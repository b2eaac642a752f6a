-- LuaScriptIT: returns ARGV[1] doubled and counts calls in KEYS[1]
redis.call('INCR', KEYS[1])
return tonumber(ARGV[1]) * 2
