#!lua flags=allow-cross-slot-keys,allow-oom
--[=[
  delete-if: delete a batch of candidate keys (found earlier by a client-side SCAN), deciding
  again for every key, atomically at delete time, whether it still qualifies. A key read or
  written after it was selected is judged on its new state, so it survives.

  KEYS: none, or ONE key (so that a cluster client routes the call to the key's node)
  ARGV[1]  mode: "all" (delete if it exists) | "idle" (OBJECT IDLETIME >= ARGV[2] seconds) |
           "field" (timestamp in hash field / JSON property ARGV[4] at least ARGV[2] ms before ARGV[3])
  ARGV[2]  idle: seconds; field: maximum age in milliseconds; all: ignored
  ARGV[3]  field: "now" as epoch milliseconds
  ARGV[4]  field: hash field name, or JSON property (a dotted path reaches nested objects)
  ARGV[5]  action: "UNLINK" | "DEL" (servers < 4.0) | "CHECK" (dry run: decide, delete nothing)
  ARGV[6]  "1": return DUMP payload and PTTL of every deleted key (backup capture)
  ARGV[7…] the candidate keys (when KEYS is empty), all served by the node this runs on. They are
           not declared as KEYS because a cluster rejects declared keys of several slots with
           CROSSSLOT even with allow-cross-slot-keys (Redis 7.0); undeclared local keys are allowed.

  Returns { deleted (CHECK: would delete), kept, undated, missing, entries… }
    kept     keys that exist but do not qualify (too young)
    undated  field mode: no readable timestamp (kept: never delete what cannot be judged)
    missing  keys gone since selection
    entries  CHECK: every qualifying key; capture: key, pttl, dump of every deleted key
  Timestamps: numbers (epoch seconds, or milliseconds when > 1e11), numeric strings, and
  ISO-8601 strings (YYYY-MM-DD[Thh:mm[:ss[.fff]]][Z|±hh[:mm]], no zone = UTC).
  Under an LFU maxmemory-policy OBJECT IDLETIME raises an error, which is passed on unchanged.
]=]
if redis.replicate_commands then pcall(redis.replicate_commands) end

local mode = ARGV[1]
local threshold = tonumber(ARGV[2]) or 0
local now = tonumber(ARGV[3]) or 0
local field = ARGV[4]
local action = ARGV[5]
local capture = ARGV[6] == '1'

local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

local function epoch_ms(value)
  if type(value) == 'number' then
    if value > 1e11 then return value end
    return value * 1000
  end
  if type(value) ~= 'string' then return nil end
  if string.match(value, '^%d+%.?%d*$') then return epoch_ms(tonumber(value)) end
  local y, mo, d, rest = string.match(value, '^(%d%d%d%d)-(%d%d)-(%d%d)(.*)$')
  if not y then return nil end
  local h, mi, s, frac, zone = 0, 0, 0, '', ''
  if rest ~= '' then
    local hh, mm, tail = string.match(rest, '^[T ](%d%d):(%d%d)(.*)$')
    if not hh then return nil end
    h, mi = tonumber(hh), tonumber(mm)
    local ss, tail2 = string.match(tail, '^:(%d%d)(.*)$')
    if ss then
      s = tonumber(ss)
      tail = tail2
      local f, tail3 = string.match(tail, '^[.,](%d+)(.*)$')
      if f then
        frac = f
        tail = tail3
      end
    end
    zone = tail
  end
  local offset = 0
  if zone ~= '' and zone ~= 'Z' and zone ~= 'z' then
    local sign, zh, zm = string.match(zone, '^([+-])(%d%d):?(%d%d)$')
    if not sign then
      sign, zh = string.match(zone, '^([+-])(%d%d)$')
      zm = '00'
    end
    if not sign then return nil end
    offset = (tonumber(zh) * 60 + tonumber(zm)) * 60000
    if sign == '-' then offset = -offset end
  end
  local ms = 0
  if frac ~= '' then ms = math.floor(tonumber('0.' .. frac) * 1000 + 0.5) end
  local days = days_from_civil(tonumber(y), tonumber(mo), tonumber(d))
  return ((days * 24 + h) * 60 + mi) * 60000 + s * 1000 + ms - offset
end

local function timestamp_of(key)
  local kind = redis.call('TYPE', key)
  kind = kind.ok or kind
  if kind == 'hash' then
    return epoch_ms(redis.call('HGET', key, field)), true
  elseif kind == 'string' then
    local ok, doc = pcall(cjson.decode, redis.call('GET', key))
    if not ok then return nil, true end
    local node = doc
    for part in string.gmatch(field, '[^.]+') do
      if type(node) ~= 'table' then return nil, true end
      node = node[part]
    end
    return epoch_ms(node), true
  elseif kind == 'none' then
    return nil, false
  end
  return nil, true
end

local deleted, kept, undated, missing = 0, 0, 0, 0
local out = { 0, 0, 0, 0 }
local n = 4

local candidates = KEYS
if #candidates == 0 then
  candidates = {}
  for i = 7, #ARGV do candidates[#candidates + 1] = ARGV[i] end
end

for _, key in ipairs(candidates) do
  local verdict
  if mode == 'all' then
    verdict = redis.call('EXISTS', key) == 1 and 'yes' or 'missing'
  elseif mode == 'idle' then
    local idle = redis.call('OBJECT', 'IDLETIME', key)
    if not idle then
      verdict = 'missing'
    elseif idle >= threshold then
      verdict = 'yes'
    else
      verdict = 'no'
    end
  else
    local ts, exists = timestamp_of(key)
    if not exists then
      verdict = 'missing'
    elseif not ts then
      verdict = 'undated'
    elseif now - ts >= threshold then
      verdict = 'yes'
    else
      verdict = 'no'
    end
  end

  if verdict == 'missing' then
    missing = missing + 1
  elseif verdict == 'undated' then
    undated = undated + 1
  elseif verdict == 'no' then
    kept = kept + 1
  elseif action == 'CHECK' then
    deleted = deleted + 1
    out[n + 1] = key
    n = n + 1
  else
    if capture then
      out[n + 1] = key
      out[n + 2] = redis.call('PTTL', key)
      out[n + 3] = redis.call('DUMP', key)
      n = n + 3
    end
    deleted = deleted + redis.call(action, key)
  end
end

out[1] = deleted
out[2] = kept
out[3] = undated
out[4] = missing
return out
