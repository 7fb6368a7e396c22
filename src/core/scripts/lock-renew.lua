--[[
  lock-renew.lua: extend the maintenance lock, but only for its holder.

  KEYS[1]  the lock key (cachectl:maintenance:lock)
  ARGV[1]  the exact value the holder stored (JSON with its random token)
  ARGV[2]  new time to live in milliseconds

  Returns 1 when the lock was extended, 0 when the key is gone or held by someone else.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
