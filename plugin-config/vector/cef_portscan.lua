-- cef-portscan for Vector, part 2 of 2: windows, thresholds and detections.
--
-- A module for Vector's `lua` transform, version 2 (hooks, timers, emit). It reads the events
-- that cef_portscan.vrl (the `remap` transform in front of it) has passed on: every event's
-- time moves the watermark, and events carrying a `cef_portscan` field (the rule's columns,
-- added by the VRL program to candidates only) are counted. It emits only detection events.
--
-- The streaming rules are those of docs/SEMANTICS.md, implemented identically by the Rust core
-- (src/engine) that the Fluent Bit module runs; vector-check runs this file under Lua 5.4 and
-- compares its window detections with the engine's on the same generated traffic.
--
--   1. Window of a record: floor(t / W), covering [w*W, (w+1)*W), on event time t (the
--      event's `timestamp` field).
--   2. Watermark: the largest event time over every event (candidate or not), except events
--      stamped more than max_future_seconds ahead of the wall clock (counted `future`).
--   3. A window closes when watermark >= (w+1)*W + allowed_lateness: one `window` detection
--      per stage-2 group with a kept stage-1 group, in the order they crossed the threshold.
--   4. A candidate whose window has closed is `late`: counted, not evaluated.
--   5-7. Stage 1 counts candidates per (window, 11 columns); a group reaching `threshold` is
--      kept, and the first kept group of a stage-2 group emits a `threshold` detection at once.
--   8. Computer is the one of the record that made the stage-2 group's first crossing.
--   9. DetectionId: FNV-1a 64 (Lua 5.4 integers wrap like u64) over the rule id, the window
--      start in seconds and the ten group columns, joined by 0x1f.
--  10. hooks.shutdown closes every open window (Vector stopping, or the end of a backtest).
--
-- Windows close on event time only. The timer re-checks the closing condition against the
-- watermark and never reads the wall clock: a stream that goes quiet keeps its last window
-- open until a later event arrives or Vector shuts down.
--
-- Use (vector.yaml):
--   type: lua
--   version: "2"
--   search_dirs: [<directory of this file>]
--   source: 'cef_portscan = require("cef_portscan")'
--   hooks: {init: cef_portscan.init, process: cef_portscan.process, shutdown: cef_portscan.shutdown}
--   timers: [{handler: cef_portscan.timer, interval_seconds: 10}]
-- To change a setting: source: 'cef_portscan = require("cef_portscan"); cef_portscan.configure({threshold = 20})'

local M = {}

-- Every tunable of the rule, named as in cef-portscan.json, with the Rust core's defaults
-- (cef_portscan::Settings::default(); vector-check asserts that this table equals it). The
-- predicate settings (excluded_* .. require_computer) act in cef_portscan.vrl, whose settings
-- block must be changed with them; the rest act here. max_pending_detections has no
-- counterpart in Vector (emit() sends a detection at once) and is kept for completeness.
M.settings = {
  window_seconds = 3600,
  allowed_lateness_seconds = 120,
  threshold = 10,
  excluded_actions = { "reset-both", "deny" },
  excluded_ports = { 443, 53, 389, 80, 0, 880, 8888, 8080 },
  excluded_port_range = { 49512, 65535 },
  application = "incomplete",
  excluded_reason_terms = { "aged-out", "tcp-fin" },
  excluded_destination_prefixes = { "10." },
  excluded_destination_networks = {},
  source_networks = {},
  source_allowlist = {},
  destination_allowlist = {},
  require_computer = true,
  destination_set_cap = 128,
  suppress_seconds = 0,
  max_groups = 100000,
  max_detection_groups = 10000,
  max_interned_values = 65536,
  max_pending_detections = 1000,
  max_future_seconds = 300,
}

-- The event field holding the event time (Vector's log_schema.timestamp_key).
M.time_field = "timestamp"
-- The field the VRL program puts the rule's columns in.
M.row_field = "cef_portscan"

local RULE_ID = "5b72f527-e3f6-4a00-9908-8e4fee14da9f"
local RULE_NAME = "Palo Alto - possible internal to external port scanning"
local NS = 1000000000
local SEP = "\31"

-- The wall clock, in nanoseconds; read only to refuse events from the far future, never to
-- close a window. Replaceable (tests pin it).
function M.clock()
  return os.time() * NS
end

---------------------------------------------------------------------------------------------
-- Settings
---------------------------------------------------------------------------------------------

local function validate(s)
  local function err(m) error("cef_portscan settings: " .. m, 3) end
  local function int(name, min)
    local v = s[name]
    if math.type(v) ~= "integer" or v < min then err(name .. " must be an integer >= " .. min) end
  end
  int("window_seconds", 1)
  int("allowed_lateness_seconds", 0)
  if s.allowed_lateness_seconds >= s.window_seconds then
    err("allowed_lateness_seconds (" .. s.allowed_lateness_seconds ..
      ") must be less than window_seconds (" .. s.window_seconds .. ")")
  end
  int("threshold", 1)
  int("destination_set_cap", 1)
  int("suppress_seconds", 0)
  int("max_groups", 1)
  int("max_detection_groups", 1)
  int("max_interned_values", 1)
  int("max_pending_detections", 1)
  int("max_future_seconds", 0)
  if s.max_groups > 10000000 then err("max_groups is above 10000000") end
end

local state

-- Forget every window and counter (keeps the settings).
function M.reset()
  local s = M.settings
  state = {
    W = s.window_seconds * NS,
    L = s.allowed_lateness_seconds * NS,
    watermark = math.mininteger,
    future_bound = math.mininteger,
    windows = {},          -- open windows, oldest first
    total_groups = 0,
    sweep_futile = false,
    alerted = {}, alerted_n = 0,
    stats = {
      records = 0, candidates = 0, no_time = 0, late = 0, future = 0,
      groups_evicted = 0, groups_refused = 0, values_refused = 0,
      detection_groups_refused = 0, groups_tracked = 0, windows_open = 0,
      windows_closed = 0, detections = 0, detections_suppressed = 0,
    },
  }
end

-- The settings the VRL program applies (its settings block); changing them here would do
-- nothing, so configure() refuses them.
local PREDICATE = {
  excluded_actions = true, excluded_ports = true, excluded_port_range = true, application = true,
  excluded_reason_terms = true, excluded_destination_prefixes = true,
  excluded_destination_networks = true, source_networks = true, source_allowlist = true,
  destination_allowlist = true, require_computer = true,
}

-- Overrides settings by name; unknown names are an error (a misspelt setting must not fall
-- back to its default). Resets the state.
function M.configure(overrides)
  local s = {}
  for k, v in pairs(M.settings) do s[k] = v end
  for k, v in pairs(overrides or {}) do
    if M.settings[k] == nil then error("cef_portscan settings: unknown setting " .. tostring(k), 2) end
    if PREDICATE[k] then
      error("cef_portscan settings: " .. k .. " is applied by cef_portscan.vrl: change it in its settings block", 2)
    end
    s[k] = v
  end
  validate(s)
  M.settings = s
  M.reset()
end

function M.stats()
  local out = {}
  for k, v in pairs(state.stats) do out[k] = v end
  out.groups_tracked = state.total_groups
  out.windows_open = #state.windows
  return out
end

---------------------------------------------------------------------------------------------
-- Time
---------------------------------------------------------------------------------------------

-- Days since 1970-01-01 of a proleptic Gregorian date (integer arithmetic).
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = (153 * mp + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

local function civil_from_days(z)
  z = z + 719468
  local era = (z >= 0 and z or z - 146096) // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return y, m, d
end

-- `2025-12-04T10:00:01.250Z`: UTC, milliseconds truncated; times before the epoch are the epoch.
local function rfc3339_millis(t)
  if t < 0 then t = 0 end
  local secs = t // NS
  local ms = (t % NS) // 1000000
  local y, mo, d = civil_from_days(secs // 86400)
  local r = secs % 86400
  return string.format("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mo, d, r // 3600, r % 3600 // 60, r % 60, ms)
end
M.rfc3339_millis = rfc3339_millis

local function whole(v)
  return math.tointeger(v)
end

-- Event time in nanoseconds. Vector hands a timestamp to Lua as a table
-- {year, month, day, hour, min, sec, nanosec, ...} (UTC); RFC 3339 text and Unix seconds
-- (integer or float) are read too.
local function event_time(ts)
  local kind = type(ts)
  if kind == "table" then
    local y, mo, d = whole(ts.year), whole(ts.month), whole(ts.day)
    local h, mi, s = whole(ts.hour), whole(ts.min), whole(ts.sec)
    if not (y and mo and d and h and mi and s) then return nil end
    local ns = whole(ts.nanosec or 0) or 0
    return (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * NS + ns
  elseif kind == "string" then
    local y, mo, d, h, mi, s, frac, zone = ts:match(
      "^(%d%d%d%d)%-(%d%d)%-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)(%.?%d*)(.*)$")
    if not y then return nil end
    local ns = 0
    if #frac > 1 then
      local digits = (frac:sub(2) .. "000000000"):sub(1, 9)
      ns = math.tointeger(tonumber(digits)) or 0
    end
    local offset = 0
    if zone ~= "Z" and zone ~= "z" and zone ~= "" then
      local sign, oh, om = zone:match("^([+-])(%d%d):?(%d%d)$")
      if not sign then return nil end
      offset = (tonumber(oh) * 3600 + tonumber(om) * 60) * (sign == "-" and -1 or 1)
    end
    local secs = days_from_civil(tonumber(y) // 1, tonumber(mo) // 1, tonumber(d) // 1) * 86400
      + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(s) - offset
    return math.tointeger(secs) * NS + ns
  elseif kind == "number" then
    local i = math.tointeger(ts)
    if i then return i * NS end
    return math.floor(ts * NS)
  end
  return nil
end
M.event_time = event_time

---------------------------------------------------------------------------------------------
-- Addresses: canonical IPv4/IPv6 spellings are stored in binary by the Rust core and do not
-- use up the per-window value table (max_interned_values); everything else does.
---------------------------------------------------------------------------------------------

local function ipv4_canonical(s)
  local parts = { s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$") }
  if #parts ~= 4 then return false end
  for _, p in ipairs(parts) do
    if #p > 3 or (#p > 1 and p:sub(1, 1) == "0") or tonumber(p) > 255 then return false end
  end
  return true
end

local function hex_groups(text, out)
  if text == "" then return true end
  for g in (text .. ":"):gmatch("([^:]*):") do
    if not g:match("^%x%x?%x?%x?$") then return false end
    out[#out + 1] = tonumber(g, 16)
  end
  return true
end

-- The eight segments of an IPv6 address, or nil.
local function ipv6_segments(s)
  local v4
  local body = s
  local last = s:match("([^:]*)$")
  if last and last:find(".", 1, true) then
    if not ipv4_canonical(last) then return nil end
    local a, b, c, d = last:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
    v4 = { tonumber(a) * 256 + tonumber(b), tonumber(c) * 256 + tonumber(d) }
    body = s:sub(1, #s - #last)
    if body:sub(-2) ~= "::" then body = body:sub(1, -2) end
  end
  local head, tail = body:match("^(.-)::(.*)$")
  local segs = {}
  if head then
    local h, t = {}, {}
    if tail:find("::", 1, true) then return nil end
    if not hex_groups(head, h) or not hex_groups(tail, t) then return nil end
    if v4 then t[#t + 1] = v4[1]; t[#t + 1] = v4[2] end
    if #h + #t > 7 then return nil end
    for _, x in ipairs(h) do segs[#segs + 1] = x end
    for _ = 1, 8 - #h - #t do segs[#segs + 1] = 0 end
    for _, x in ipairs(t) do segs[#segs + 1] = x end
  else
    if not hex_groups(body, segs) then return nil end
    if v4 then segs[#segs + 1] = v4[1]; segs[#segs + 1] = v4[2] end
    if #segs ~= 8 then return nil end
  end
  return segs
end

-- The spelling Rust's Ipv6Addr Display gives (RFC 5952).
local function ipv6_format(g)
  if g[1] == 0 and g[2] == 0 and g[3] == 0 and g[4] == 0 and g[5] == 0 and g[6] == 0xffff then
    return string.format("::ffff:%d.%d.%d.%d", g[7] >> 8, g[7] & 255, g[8] >> 8, g[8] & 255)
  end
  local best_start, best_len, cur_start, cur_len = 0, 0, 0, 0
  for i = 1, 8 do
    if g[i] == 0 then
      if cur_len == 0 then cur_start = i end
      cur_len = cur_len + 1
      if cur_len > best_len then best_start, best_len = cur_start, cur_len end
    else
      cur_len = 0
    end
  end
  local function join(from, to)
    local t = {}
    for i = from, to do t[#t + 1] = string.format("%x", g[i]) end
    return table.concat(t, ":")
  end
  if best_len > 1 then
    return join(1, best_start - 1) .. "::" .. join(best_start + best_len, 8)
  end
  return join(1, 8)
end

local function canonical_address(s)
  if ipv4_canonical(s) then return true end
  if not s:find(":", 1, true) then return false end
  local segs = ipv6_segments(s)
  return segs ~= nil and ipv6_format(segs) == s
end
M.canonical_address = canonical_address

---------------------------------------------------------------------------------------------
-- Detections
---------------------------------------------------------------------------------------------

local FNV_OFFSET = 0xcbf29ce484222325 -- wraps to a negative integer: the same 64 bits
local FNV_PRIME = 0x100000001b3

local function detection_id(window_start, cols)
  local parts = {
    RULE_ID, string.format("%d", window_start // NS), cols.DeviceName, cols.SourceUserID,
    cols.SourceIP, cols.ApplicationProtocol, cols.Reason, string.format("%d", cols.DestinationPort),
    cols.Protocol, cols.DeviceVendor, cols.DeviceProduct, cols.DeviceAction,
  }
  local h = FNV_OFFSET
  local text = table.concat(parts, SEP)
  for i = 1, #text do
    h = (h ~ text:byte(i)) * FNV_PRIME
  end
  return string.format("%016x", h)
end
M.detection_id = detection_id

-- A detection as Vector event: the fields and value types of src/detection.rs.
local function detection(w, r, stage)
  local s = M.settings
  local c = r.cols
  local window_start = w.index * state.W
  local dsts = {}
  for i, d in ipairs(r.destinations) do dsts[i] = d end
  table.sort(dsts) -- byte order: Vector runs Lua in the C locale
  local start = rfc3339_millis(r.start)
  return {
    log = {
      RuleId = RULE_ID,
      RuleName = RULE_NAME,
      Severity = "Low",
      Tactics = "Discovery",
      Techniques = "T1046",
      DetectionStage = stage,
      DetectionId = detection_id(window_start, c),
      WindowStart = rfc3339_millis(window_start),
      WindowEnd = rfc3339_millis(window_start + state.W),
      StartTimeUtc = start,
      EndTimeUtc = rfc3339_millis(r["end"]),
      timestamp = start,
      DeviceName = c.DeviceName,
      SourceUserID = c.SourceUserID,
      SourceIP = c.SourceIP,
      ApplicationProtocol = c.ApplicationProtocol,
      Reason = c.Reason,
      DestinationPort = c.DestinationPort,
      Protocol = c.Protocol,
      DeviceVendor = c.DeviceVendor,
      DeviceProduct = c.DeviceProduct,
      DeviceAction = c.DeviceAction,
      set_DestinationIP = dsts,
      DestinationIPCount = r.destination_count,
      totalcount = r.total,
      IPCustomEntity = c.SourceIP,
      AccountCustomEntity = c.SourceUserID,
      HostCustomEntity = c.DeviceName,
      Computer = r.computer,
      Threshold = s.threshold,
      WindowSeconds = s.window_seconds,
    },
  }
end

local function send(emit, d)
  state.stats.detections = state.stats.detections + 1
  emit(d)
end

---------------------------------------------------------------------------------------------
-- Windows
---------------------------------------------------------------------------------------------

local function closes_at(index)
  return (index + 1) * state.W + state.L
end

local function close_oldest(emit)
  local w = table.remove(state.windows, 1)
  if not w then return end
  for _, r in ipairs(w.rollups) do
    if not r.suppressed then send(emit, detection(w, r, "window")) end
  end
  state.total_groups = state.total_groups - w.ngroups
  state.sweep_futile = false
  state.stats.windows_closed = state.stats.windows_closed + 1
end

local function close_due(emit)
  while state.windows[1] and closes_at(state.windows[1].index) <= state.watermark do
    close_oldest(emit)
  end
end

-- Moves event time forward; true when t is refused as being in the future.
local function observe(t, emit)
  if t <= state.watermark then return false end
  local max_future = M.settings.max_future_seconds * NS
  if max_future > 0 and t > state.future_bound then
    local now = M.clock()
    state.future_bound = now and (now + max_future) or math.maxinteger
    if t > state.future_bound then
      state.stats.future = state.stats.future + 1
      return true
    end
  end
  state.watermark = t
  close_due(emit)
  return false
end

local function window_for(index)
  local ws = state.windows
  local i = 1
  while ws[i] and ws[i].index < index do i = i + 1 end
  if ws[i] and ws[i].index == index then return ws[i] end
  local w = {
    index = index,
    groups = {}, ngroups = 0,
    values = {}, nvalues = 0,
    rollup_index = {}, rollups = {},
  }
  table.insert(ws, i, w)
  return w
end

-- The per-window value table of the Rust core: false when it is full and v is new.
local function intern(w, v)
  if w.values[v] then return true end
  if w.nvalues >= M.settings.max_interned_values then return false end
  w.values[v] = true
  w.nvalues = w.nvalues + 1
  return true
end

local function intern_address(w, v)
  return canonical_address(v) or intern(w, v)
end

-- Evicts the least-counted stage-1 groups (never those past the threshold), level by level,
-- until an eighth of max_groups is free; a sweep that frees nothing is not retried until a
-- window closes.
local function make_room()
  if state.sweep_futile then return false end
  local threshold = M.settings.threshold
  local target = math.max(M.settings.max_groups // 8, 1)
  local freed = 0
  for level = 1, threshold - 1 do
    for _, w in ipairs(state.windows) do
      for key, c in pairs(w.groups) do
        if c.count <= level and c.count < threshold then
          w.groups[key] = nil
          w.ngroups = w.ngroups - 1
          freed = freed + 1
        end
      end
    end
    if freed >= target then break end
  end
  state.total_groups = state.total_groups - freed
  state.stats.groups_evicted = state.stats.groups_evicted + freed
  if freed == 0 then state.sweep_futile = true end
  return freed > 0
end

-- Per-group alert suppression across windows (suppress_seconds; 0, the default, alerts every
-- window as the rule does).
local function suppressed(w, r)
  local hold = M.settings.suppress_seconds * NS
  if hold == 0 then return false end
  local a = state.alerted[r.key]
  if a and a.window ~= w.index and r["end"] < a["until"] then return true end
  local cap = M.settings.max_detection_groups
  if state.alerted_n >= cap then
    for k, v in pairs(state.alerted) do
      if v["until"] <= state.watermark then
        state.alerted[k] = nil
        state.alerted_n = state.alerted_n - 1
      end
    end
  end
  if state.alerted_n < cap then
    if not state.alerted[r.key] then state.alerted_n = state.alerted_n + 1 end
    state.alerted[r.key] = { window = w.index, ["until"] = r["end"] + hold }
  end
  return false
end

-- A stage-1 group just reached the threshold.
local function cross(w, gkey, cols, dst, c, computer, emit)
  local ri = w.rollup_index[gkey]
  if ri then
    local r = w.rollups[ri]
    r.total = r.total + c.count
    r.destination_count = r.destination_count + 1
    if #r.destinations < M.settings.destination_set_cap then r.destinations[#r.destinations + 1] = dst end
    if c.first < r.start then r.start = c.first end
    if c.last > r["end"] then r["end"] = c.last end
    return
  end
  if #w.rollups >= M.settings.max_detection_groups then
    state.stats.detection_groups_refused = state.stats.detection_groups_refused + 1
    return
  end
  local r = {
    key = gkey, cols = cols, start = c.first, ["end"] = c.last, total = c.count,
    destination_count = 1, destinations = { dst }, computer = computer, suppressed = false,
  }
  w.rollups[#w.rollups + 1] = r
  w.rollup_index[gkey] = #w.rollups
  if suppressed(w, r) then
    r.suppressed = true
    state.stats.detections_suppressed = state.stats.detections_suppressed + 2
    return
  end
  send(emit, detection(w, r, "threshold"))
end

local function text(v)
  if type(v) == "string" then return v end
  if v == nil then return "" end
  return tostring(v)
end

local function count(row, t, emit)
  local s = M.settings
  local index = t // state.W
  if closes_at(index) <= state.watermark then
    state.stats.late = state.stats.late + 1
    return
  end
  local port = math.tointeger(row.DestinationPort)
  if not port then return end
  local cols = {
    DeviceName = text(row.DeviceName), SourceUserID = text(row.SourceUserID),
    SourceIP = text(row.SourceIP), ApplicationProtocol = text(row.ApplicationProtocol),
    Reason = text(row.Reason), DestinationPort = port, Protocol = text(row.Protocol),
    DeviceVendor = text(row.DeviceVendor), DeviceProduct = text(row.DeviceProduct),
    DeviceAction = text(row.DeviceAction),
  }
  local dst, computer = text(row.DestinationIP), text(row.Computer)
  local w = window_for(index)
  -- The order the Rust core fills its value table in (a refusal keeps what went in before).
  if not (intern(w, cols.DeviceName) and intern(w, cols.SourceUserID)
      and intern_address(w, cols.SourceIP) and intern(w, cols.ApplicationProtocol)
      and intern(w, cols.Reason) and intern(w, cols.Protocol) and intern(w, cols.DeviceVendor)
      and intern(w, cols.DeviceProduct) and intern(w, cols.DeviceAction)
      and intern_address(w, dst) and intern(w, computer)) then
    state.stats.values_refused = state.stats.values_refused + 1
    return
  end
  local gkey = table.concat({
    cols.DeviceName, cols.SourceUserID, cols.SourceIP, cols.ApplicationProtocol, cols.Reason,
    string.format("%d", port), cols.Protocol, cols.DeviceVendor, cols.DeviceProduct, cols.DeviceAction,
  }, SEP)
  local key = gkey .. SEP .. dst
  local c = w.groups[key]
  if c then
    c.count = c.count + 1
    if t < c.first then c.first = t end
    if t > c.last then c.last = t end
  else
    if state.total_groups >= s.max_groups and not make_room() then
      state.stats.groups_refused = state.stats.groups_refused + 1
      return
    end
    c = { count = 1, first = t, last = t }
    w.groups[key] = c
    w.ngroups = w.ngroups + 1
    state.total_groups = state.total_groups + 1
  end
  state.stats.candidates = state.stats.candidates + 1
  if c.count == s.threshold then
    cross(w, gkey, cols, dst, c, computer, emit)
  elseif c.count > s.threshold then
    local ri = w.rollup_index[gkey]
    if ri then
      local r = w.rollups[ri]
      r.total = r.total + 1
      if t < r.start then r.start = t end
      if t > r["end"] then r["end"] = t end
    end
  end
end

---------------------------------------------------------------------------------------------
-- Vector's hooks
---------------------------------------------------------------------------------------------

function M.init(_emit)
end

function M.process(event, emit)
  local log = event.log
  if type(log) ~= "table" then return end
  state.stats.records = state.stats.records + 1
  local t = event_time(log[M.time_field])
  if not t then
    state.stats.no_time = state.stats.no_time + 1
    return
  end
  local future = observe(t, emit)
  local row = log[M.row_field]
  if type(row) ~= "table" or future then return end
  count(row, t, emit)
end

-- Closes the windows the watermark has passed. process() already does so on every event, so
-- this finds work only if events stop mid-check; it never looks at the wall clock.
function M.timer(emit)
  close_due(emit)
end

-- Closes every open window: their detections go out before Vector stops.
function M.shutdown(emit)
  while state.windows[1] do close_oldest(emit) end
end

-- Closes every open window now (same as shutdown; for backtests and tests).
M.flush = M.shutdown

validate(M.settings)
M.reset()

return M
