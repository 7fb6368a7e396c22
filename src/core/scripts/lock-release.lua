--[[
  lock-release.lua: delete the maintenance lock, but only for its holder (a run whose lock
  expired must not remove the lock of the run that took over).

  KEYS[1]  the lock key (cachectl:maintenance:lock)
  ARGV[1]  the exact value the holder stored (JSON with its random token)

  Returns 1 when the lock was deleted, 0 when the key is gone or held by someone else.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
