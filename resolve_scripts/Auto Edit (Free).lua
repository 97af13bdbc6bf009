--[[
AutoEdit for DaVinci Resolve (free edition): Workspace > Scripts > Utility > Auto Edit (Free).

Resolve's free edition runs Lua from the Scripts menu but (reportedly from 21.1) no Python in-app, and
Lua cannot talk to the engine's ZeroMQ socket. So this script does only documented Resolve calls and
file I/O; the engine work runs in a helper, autoedit_host.py, started with the AutoEdit environment's
Python through io.popen (standard Lua 5.1). Limits: Resolve's UI waits while the helper runs (progress
lines go to the Console: Workspace > Console), and a running edit cannot be cancelled from here.
`autoedit install-resolve` fills in the four paths below.
]]

local AUTOEDIT_PYTHON = nil   -- the engine environment's python
local AUTOEDIT_HOST = nil     -- resolve_scripts/autoedit_host.py
local AUTOEDIT_SETTINGS = nil -- autoedit_resolve.json
local AUTOEDIT_WORK_DIR = nil -- <data dir>/resolve/lua (request, plan and snapshot files)

local M = {}

---------------------------------------------------------------------------- JSON (writer only)
local function json_string(s)
  s = s:gsub('[%c"\\]', function(c)
    local map = { ['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
    return map[c] or string.format('\\u%04x', c:byte())
  end)
  return '"' .. s .. '"'
end

local function is_array(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  for i = 1, n do if t[i] == nil then return false end end
  return true, n
end

function M.json(v)
  local kind = type(v)
  if v == nil then return 'null'
  elseif kind == 'boolean' then return tostring(v)
  elseif kind == 'number' then
    if v ~= v or v == math.huge or v == -math.huge then return 'null' end
    return string.format('%.17g', v)
  elseif kind == 'string' then return json_string(v)
  elseif kind == 'table' then
    local array, n = is_array(v)
    local parts = {}
    if array and n > 0 then
      for i = 1, n do parts[#parts + 1] = M.json(v[i]) end
      return '[' .. table.concat(parts, ',') .. ']'
    end
    for k, val in pairs(v) do parts[#parts + 1] = json_string(tostring(k)) .. ':' .. M.json(val) end
    return '{' .. table.concat(parts, ',') .. '}'
  end
  return 'null'
end

local function write_file(path, text)
  local fh = assert(io.open(path, 'wb'))
  fh:write(text)
  fh:close()
end

---------------------------------------------------------------------------- the helper
local function quote(s) return '"' .. tostring(s) .. '"' end

function M.run_helper(args)
  local cmd = quote(AUTOEDIT_PYTHON) .. ' ' .. quote(AUTOEDIT_HOST) .. ' --settings ' .. quote(AUTOEDIT_SETTINGS)
  for _, a in ipairs(args) do cmd = cmd .. ' ' .. quote(a) end
  if package.config:sub(1, 1) == '\\' then cmd = '"' .. cmd .. '"' end -- cmd.exe strips one pair of quotes
  local pipe = assert(io.popen(cmd .. ' 2>&1', 'r'))
  local last = ''
  for line in pipe:lines() do
    print('AutoEdit: ' .. line)
    if line:match('^OK ') or line:match('^ERROR ') then last = line end
  end
  pipe:close()
  if last:match('^OK ') then return true, last:sub(4) end
  return false, (last ~= '' and last:sub(7) or 'the helper ended without a result; see the Console')
end

---------------------------------------------------------------------------- Resolve side
local function list(t)  -- Resolve's Lua lists are {1: x, 2: y}; keep them in index order
  local out = {}
  if t then for i = 1, #t do out[#out + 1] = t[i] end end
  return out
end

local function fps_of(value)
  return tonumber((tostring(value or ''):match('^%s*([%d%.]+)'))) or 0
end

function M.collect_media(resolve, source)
  local project = resolve:GetProjectManager():GetCurrentProject()
  local media = {}
  if source == 'timeline' then
    local tl = project:GetCurrentTimeline()
    if not tl then return nil, 'There is no current timeline.' end
    for t = 1, tl:GetTrackCount('video') do
      for _, item in ipairs(list(tl:GetItemListInTrack('video', t))) do
        local mpi = item:GetMediaPoolItem()
        local path = mpi and mpi:GetClipProperty('File Path') or ''
        if path ~= '' then
          media[#media + 1] = { path = path, ['in'] = item:GetSourceStartTime(), out = item:GetSourceEndTime() }
        end
      end
    end
  else
    for _, mpi in ipairs(list(project:GetMediaPool():GetSelectedClips())) do
      local path = mpi:GetClipProperty('File Path') or ''
      if path ~= '' then
        local ref = { path = path }
        local fps = fps_of(mpi:GetClipProperty('FPS'))
        local marks = mpi.GetMarkInOut and mpi:GetMarkInOut() or {}
        local video = marks.video or marks.audio
        if fps > 0 and video then
          if video['in'] then ref['in'] = video['in'] / fps end
          if video.out then ref.out = (video.out + 1) / fps end
        end
        media[#media + 1] = ref
      end
    end
  end
  if #media == 0 then return nil, 'No media files selected (select clips in the Media Pool).' end
  return media
end

local function unique_name(project, base)
  local taken = {}
  for i = 1, project:GetTimelineCount() do taken[project:GetTimelineByIndex(i):GetName()] = true end
  if not taken[base] then return base end
  local n = 2
  while taken[base .. ' ' .. n] do n = n + 1 end
  return base .. ' ' .. n
end

local function by_start(a, b) return a:GetStart(false) < b:GetStart(false) end

function M.apply_plan(resolve, plan)
  local project = resolve:GetProjectManager():GetCurrentProject()
  local name = unique_name(project, plan.base_name)
  local tl = project:GetMediaPool():ImportTimelineFromFile(plan.import_path, { timelineName = name, importSourceClips = true })
  if not tl then return nil, 'Resolve could not import ' .. plan.import_path end
  local tm = plan.timeline_marker
  tl:AddMarker(0, tm.color, tm.name, tm.note, 1, tm.custom_data)
  local fps = fps_of(tl:GetSetting('timelineFrameRate'))
  local start_frame = tl:GetStartFrame()
  local marked = 0
  for t, decisions in ipairs(plan.tracks) do
    local items = list(tl:GetItemListInTrack('video', t))
    table.sort(items, by_start)
    local used = {}
    for k, d in ipairs(decisions) do
      local item = nil
      if #items == #decisions then
        item = items[k]
      else -- nearest start within a frame
        local best, best_i = nil, nil
        for i, it in ipairs(items) do
          local delta = math.abs((it:GetStart(false) - start_frame) / fps - d.record_start)
          if not used[i] and delta <= 1 / fps and (best == nil or delta < best) then best, best_i = delta, i end
        end
        if best_i then used[best_i] = true; item = items[best_i] end
      end
      if item then
        local dm = plan.decision_marker
        if not item:AddMarker(0, dm.color, dm.name, d.note, 1, d.decision_id) then
          item:AddMarker(item:GetLeftOffset(false), dm.color, dm.name, d.note, 1, d.decision_id)
        end
        item:SetClipColor(plan.review_color)
        marked = marked + 1
      end
    end
  end
  for _, sm in ipairs(plan.speech_markers or {}) do -- what the speech edit cut, at its joins
    local frame = math.floor(sm.record_s * fps + 0.5)
    if not tl:AddMarker(frame, sm.color, sm.name, sm.note, 1, sm.custom_data) then
      tl:AddMarker(frame + 1, sm.color, sm.name, sm.note, 1, sm.custom_data)
    end
  end
  return tl, marked
end

local function marker_list(t)  -- {frame: info} -> a list, so JSON keeps the frames (a key 1 would read as an array)
  local out = {}
  for frame, info in pairs(t or {}) do
    out[#out + 1] = { frame = frame, color = info.color, name = info.name, note = info.note,
                      duration = info.duration, customData = info.customData }
  end
  return out
end

function M.snapshot(tl)
  local snap = { name = tl:GetName(), uid = tl:GetUniqueId(), markers = marker_list(tl:GetMarkers()), video = {} }
  for t = 1, tl:GetTrackCount('video') do
    local items = {}
    for _, item in ipairs(list(tl:GetItemListInTrack('video', t))) do
      items[#items + 1] = {
        name = item:GetName(), start = item:GetStart(false), clip_color = item:GetClipColor() or '',
        flags = list(item:GetFlagList()), markers = marker_list(item:GetMarkers()),
      }
    end
    snap.video[#snap.video + 1] = items
  end
  return snap
end

---------------------------------------------------------------------------- actions
local function path_join(a, b) return a .. package.config:sub(1, 1) .. b end

function M.edit(resolve, values)
  local media, err = M.collect_media(resolve, values.source)
  if not media then return false, err end
  local stamp = tostring(os.time())
  local req = path_join(AUTOEDIT_WORK_DIR, 'request-' .. stamp .. '.json')
  local plan_path = path_join(AUTOEDIT_WORK_DIR, 'plan-' .. stamp .. '.lua')
  write_file(req, M.json({ media = media, values = values, resolve_version = list(resolve:GetVersion()) }))
  local ok, msg = M.run_helper({ 'job', '--request', req, '--plan', plan_path })
  if not ok then return false, msg end
  local tl, marked = M.apply_plan(resolve, dofile(plan_path))
  if not tl then return false, marked end
  return true, string.format("Created timeline '%s' (%d clips marked for review).", tl:GetName(), marked)
end

function M.transcript(resolve, values) -- the clips' words to a text file to edit
  local media, err = M.collect_media(resolve, values.source)
  if not media then return false, err end
  local req = path_join(AUTOEDIT_WORK_DIR, 'transcript-' .. tostring(os.time()) .. '.json')
  write_file(req, M.json({ media = media, transcript = values.transcript }))
  return M.run_helper({ 'transcript', '--request', req })
end

function M.from_transcript(resolve, values) -- the edited text file -> a new timeline
  local stamp = tostring(os.time())
  local req = path_join(AUTOEDIT_WORK_DIR, 'transcript-edit-' .. stamp .. '.json')
  local plan_path = path_join(AUTOEDIT_WORK_DIR, 'plan-' .. stamp .. '.lua')
  write_file(req, M.json({ transcript = values.transcript, resolve_version = list(resolve:GetVersion()) }))
  local ok, msg = M.run_helper({ 'transcript-edit', '--request', req, '--plan', plan_path })
  if not ok then return false, msg end
  local tl, marked = M.apply_plan(resolve, dofile(plan_path))
  if not tl then return false, marked end
  return true, string.format("Created timeline '%s' from the edited transcript.", tl:GetName())
end

function M.feedback(resolve, edit_back)
  local tl = resolve:GetProjectManager():GetCurrentProject():GetCurrentTimeline()
  if not tl then return false, 'Open the AutoEdit timeline you reviewed.' end
  local stamp = tostring(os.time())
  local snap = path_join(AUTOEDIT_WORK_DIR, 'snapshot-' .. stamp .. '.json')
  write_file(snap, M.json(M.snapshot(tl)))
  if not edit_back then return M.run_helper({ 'review', '--snapshot', snap }) end
  local exported = path_join(AUTOEDIT_WORK_DIR, 'edited-' .. stamp .. '.otio')
  if not tl:Export(exported, resolve.EXPORT_OTIO, resolve.EXPORT_NONE) then
    return false, 'Resolve could not export the timeline as OTIO (needs 18.5+).'
  end
  return M.run_helper({ 'edit-back', '--snapshot', snap, '--exported', exported })
end

---------------------------------------------------------------------------- dialog
function M.dialog(resolve)
  local ui = fu.UIManager
  local disp = bmd.UIDispatcher(ui)
  local win = disp:AddWindow({ ID = 'AutoEditFree', WindowTitle = 'AutoEdit (Free)', Geometry = { 200, 200, 600, 320 } },
    ui:VGroup({
      ui:HGroup({ ui:Label({ Text = 'Prompt', Weight = 0.2 }), ui:LineEdit({ ID = 'prompt' }) }),
      ui:HGroup({ ui:Label({ Text = 'Media', Weight = 0.2 }), ui:ComboBox({ ID = 'source' }) }),
      ui:HGroup({ ui:Label({ Text = 'Duration (s)', Weight = 0.2 }), ui:LineEdit({ ID = 'duration' }) }),
      ui:HGroup({ ui:Label({ Text = 'Aspect', Weight = 0.2 }), ui:ComboBox({ ID = 'aspect' }) }),
      ui:HGroup({ ui:Label({ Text = 'Style', Weight = 0.2 }), ui:LineEdit({ ID = 'style' }) }),
      ui:HGroup({ ui:Label({ Text = 'Music', Weight = 0.2 }), ui:LineEdit({ ID = 'music' }) }),
      ui:HGroup({ ui:Label({ Text = 'Transcript', Weight = 0.2 }), ui:LineEdit({ ID = 'transcript' }),
                  ui:Button({ ID = 'transcriptout', Text = 'Write transcript' }),
                  ui:Button({ ID = 'transcriptin', Text = 'Edit from transcript' }) }),
      ui:HGroup({ ui:Button({ ID = 'edit', Text = 'Auto Edit' }), ui:Button({ ID = 'feedback', Text = 'Send feedback' }),
                  ui:Button({ ID = 'editback', Text = 'Send my edit back' }) }),
      ui:Label({ ID = 'status', Text = 'Green = accept, Orange (or a Red flag) = reject.', WordWrap = true }),
    }))
  local items = win:GetItems()
  items.source:AddItem('Selected Media Pool clips')
  items.source:AddItem('Current timeline')
  for _, a in ipairs({ '', '16:9', '9:16', '1:1', '4:5' }) do items.aspect:AddItem(a) end
  local function show(ok, msg) items.status.Text = (ok and '' or 'Error: ') .. tostring(msg) end
  function win.On.edit.Clicked(ev)
    items.status.Text = 'Editing... (progress in Workspace > Console)'
    show(M.edit(resolve, {
      prompt = items.prompt.Text, source = (items.source.CurrentIndex == 1) and 'timeline' or 'selected',
      duration = items.duration.Text, aspect = items.aspect.CurrentText, style = items.style.Text, music = items.music.Text,
    }))
  end
  function win.On.transcriptout.Clicked(ev)
    items.status.Text = 'Transcribing... (progress in Workspace > Console)'
    show(M.transcript(resolve, { source = (items.source.CurrentIndex == 1) and 'timeline' or 'selected',
                                 transcript = items.transcript.Text }))
  end
  function win.On.transcriptin.Clicked(ev)
    items.status.Text = 'Editing from the transcript... (progress in Workspace > Console)'
    show(M.from_transcript(resolve, { transcript = items.transcript.Text }))
  end
  function win.On.feedback.Clicked(ev) show(M.feedback(resolve, false)) end
  function win.On.editback.Clicked(ev) show(M.feedback(resolve, true)) end
  function win.On.AutoEditFree.Close(ev) disp:ExitLoop() end
  win:Show()
  disp:RunLoop()
  win:Hide()
end

if AUTOEDIT_TEST_MODE then return M end -- tests load this file as a module
if not AUTOEDIT_PYTHON then
  print('AutoEdit: run `autoedit install-resolve` first (it fills in the paths at the top of this script).')
  return
end
local resolve_app = Resolve and Resolve() or bmd.scriptapp('Resolve')
M.dialog(resolve_app)
