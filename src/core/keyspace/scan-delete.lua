#!lua flags=allow-cross-slot-keys,allow-oom
--[=[
  scan-delete: ONE bounded SCAN step on this node, deleting its matches key by key, so pattern
  deletion never ships keys to the client and never blocks the server for more than one step.
  Run with EVALSHA numkeys 0 on each master's own connection (a cluster node only holds its own
  slots, so every key SCAN returns here is local; keys are unlinked one by one because a
  multi-key UNLINK across slots fails inside a cluster script).

  KEYS: none (the keys come from SCAN on this node)
  ARGV[1]  cursor
  ARGV[2]  MATCH pattern (already glob-escaped by the caller)
  ARGV[3]  COUNT hint for this step
  ARGV[4]  most keys this call may delete (>= 1): the batch / --limit budget
  ARGV[5]  delete command: "UNLINK", or "DEL" on servers without UNLINK (< 4.0)
  ARGV[6]  "1": also return DUMP payload and PTTL of every deleted key (backup capture)
  ARGV[7]  required key prefix ("tenant:<id>:" under --tenant, "" for none): a key that does not
           start with it is never touched, only counted (defence in depth behind the pattern)
  ARGV[8…] excluded key prefixes (queue prefixes such as "bull:"); such keys are never touched

  Returns { next cursor, matched, deleted, skippedQueueKeys, pending, outsidePrefix, [key, pttl, dump]… }
  When the step has more matches than ARGV[4], the rest is left "pending" and the SAME cursor is
  returned: the caller repeats the step, and the keys already deleted do not reappear. Queue keys
  (and keys outside the required prefix) of a step are counted only when the step completes, so repeats never count them twice.
  The shebang line is stripped for servers < 7.0, which do not know script flags.
]=]
if redis.replicate_commands then pcall(redis.replicate_commands) end

local budget = tonumber(ARGV[4])
local del = ARGV[5]
local capture = ARGV[6] == '1'
local only = ARGV[7]
local excluded = {}
for i = 8, #ARGV do excluded[#excluded + 1] = ARGV[i] end

local step = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', ARGV[3])
local out = { step[1], 0, 0, 0, 0, 0 }
local matched, deleted, skipped, pending, outside = 0, 0, 0, 0, 0
local n = 6

for _, key in ipairs(step[2]) do
  local outsider = only ~= '' and string.sub(key, 1, #only) ~= only
  local queue = false
  for _, prefix in ipairs(excluded) do
    if string.sub(key, 1, #prefix) == prefix then
      queue = true
      break
    end
  end
  if outsider then
    outside = outside + 1
  elseif queue then
    skipped = skipped + 1
  elseif matched >= budget then
    pending = pending + 1
  else
    matched = matched + 1
    if capture then
      local dump = redis.call('DUMP', key)
      if dump then
        out[n + 1] = key
        out[n + 2] = redis.call('PTTL', key)
        out[n + 3] = dump
        n = n + 3
      end
    end
    deleted = deleted + redis.call(del, key)
  end
end

if pending > 0 then
  out[1] = ARGV[1]
  skipped = 0
  outside = 0
end
out[2] = matched
out[3] = deleted
out[4] = skipped
out[5] = pending
out[6] = outside
return out
