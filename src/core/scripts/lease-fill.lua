--[[
  lease-fill.lua: the fill step of a read-through. Stores the loaded value only while the key still
  holds the caller's own lease: an invalidation deleted it, an expiry removed it, or a writer or
  another reader replaced it, and in each of those cases the value may be older than the database.

  KEYS[1]  the cache key
  ARGV[1]  the caller's lease marker
  ARGV[2]  the value to store
  ARGV[3]  expiry in milliseconds ("0": none, the lease's own expiry is removed too)

  Returns 1 when the value was stored, 0 when the fill was refused.
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if ARGV[3] == '0' then
  redis.call('SET', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1
