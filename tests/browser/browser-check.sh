#!/usr/bin/env bash
# aios-browserd end to end with a real Chromium, on the development stack (a private system bus and polkitd),
# through the gateway on HTTP with API keys, against the fixture site (tests/browser/fixture.py) on loopback
# listeners the test allows by a drop-in: forms, dialogs, same- and cross-origin frames, an upload, a slow page
# and text that comes late, a redirect chain into a blocked origin and requests towards it and towards a
# loopback port nobody allowed (whose servers must see nothing), an endless redirect, a page of 100,000 nodes,
# the renderer and the browser killed, two sessions and two principals with cookies of their own, tabs,
# screenshots, PDF, logs, and browser_evaluate refused until a polkit rule grants it; bad input refused with a
# clear error; then every tool's structuredContent checked against its output schema by Ajv (not the server's
# own validator); and the default policy (no drop-in) refusing loopback.
# usage: browser-check.sh   (AIOS_BROWSERD, AIOS_GATEWAYD, AIOS_AIOSCTL and AIOS_IDED name the binaries; runs as root;
# exit 77 with the reason when Chromium, the npm packages or root are missing)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
name=browser-check.sh
skip() {
        echo "$name: SKIP: $*"
        exit 77
}
[[ $(id -u) -eq 0 ]] || skip "needs root (a private mount namespace, polkitd and the servers' users)"
[[ -x ${AIOS_BROWSER_EXECUTABLE:-/usr/bin/chromium} || -x /usr/bin/chromium-headless-shell ]] ||
        skip "no Chromium (apt-get install chromium, or set AIOS_BROWSER_EXECUTABLE)"
for tool in jq curl /usr/bin/python3; do
        command -v "$tool" >/dev/null || skip "$tool is not installed"
done
# shellcheck source=tools/npm-env.sh
source "$top/tools/npm-env.sh"
if [[ ! -x $AIOS_NODE || ! -d $AIOS_NODE_PATH_SDK/ajv ]]; then
        "$top/tools/npm-deps.sh" >&2 || skip "the npm packages (Ajv, for the output schemas) cannot be installed here"
fi
if [[ -z ${AIOS_DEV_SERVICES_RUNTIME:-} ]]; then
        exec "$top/tools/dev-services.sh" -- "$0" "$@"
fi

# shellcheck source=tests/gateway/stack-lib.sh
source "$top/tests/gateway/stack-lib.sh"
# shellcheck source=tests/browser/browser-lib.sh
source "$top/tests/browser/browser-lib.sh"
work=$browser_work
: >"$work/results.jsonl"

# shellcheck disable=SC2317 # called by the trap
cleanup() {
        browser_stop
        kill -TERM "${gateway_pid:-}" "${fixture_pid:-}" "${ided_pid:-}" 2>/dev/null || true
        wait 2>/dev/null || true
}
trap cleanup EXIT

# call KEY SESSION TOOL ARGUMENTS [SECONDS]: a tools/call; prints the JSON-RPC answer and keeps the result for
# the schema check.
call() {
        local out
        out=$(mcp_request "$1" "$2" tools/call "$(jq -cn --arg t "$3" --argjson a "$4" '{name: $t, arguments: $a}')" "${5:-90}")
        jq -c --arg t "$3" '{tool: $t, result: .result} | select(.result != null)' <<<"$out" >>"$work/results.jsonl" 2>/dev/null || true
        echo "$out"
}
text() { jq -r '[.result.content[]? | select(.type == "text") | .text] | join("\n")' <<<"$1" 2>/dev/null || echo "$1"; }
sc() { jq -r ".result.structuredContent | $2 // empty" <<<"$1" 2>/dev/null || true; }
is_error() { [[ $(jq -r '.result.isError // false' <<<"$1" 2>/dev/null) == true ]]; }
ok() { # ok DESCRIPTION ANSWER [NEEDLE]: the call succeeded (and its text holds NEEDLE)
        if [[ $2 == *'"result"'* ]] && ! is_error "$2" && [[ -z ${3:-} || $(text "$2") == *"$3"* ]]; then
                pass "$1"
        else
                fail "$1" "${2:0:1200}"
        fi
}
refused() { # refused DESCRIPTION ANSWER NEEDLE: a tool error (or a JSON-RPC error) whose text holds NEEDLE
        if { is_error "$2" || [[ $2 == *'"error"'* ]]; } && [[ $2 == *"$3"* ]]; then
                pass "$1"
        else
                fail "$1" "expected a refusal with \"$3\": ${2:0:1200}"
        fi
}
# ref_of SNAPSHOT_TEXT 'ROLE "NAME"': the ref of the first element of that role and name (such as
# 'button "Add one"'), also where siblings of one role share a line (- link "A" [ref=b1], "B" [ref=b2]).
ref_of() {
        perl -ne 'BEGIN { ($r, $n) = split / /, shift, 2 }
                if (/^\s*- \Q$r\E / && /\Q$n\E(?: \[(?!ref=)[^\]]*\])* \[ref=([a-z]{1,2}[1-9][0-9]*)\]/) { print "$1\n"; exit }' "$2" <<<"$1"
}
same() { # same DESCRIPTION EXPECTED GOT: exactly that
        if [[ $3 == "$2" ]]; then pass "$1"; else fail "$1" "expected \"$2\", got: ${3:0:600}"; fi
}
# refs_in SNAPSHOT_TEXT: every ref in it, a line each.
refs_in() { grep -o '\[ref=[^]]*\]' <<<"$1" | sed 's/^\[ref=//; s/\]$//' || true; }
snap() { text "$(call "$1" "$2" browser_snapshot "${3:-{\}}")"; }
posts() { cat "$fixture_dir/posts.log" 2>/dev/null || true; }

browser_fixture_start
browser_config '[Origins]' 'AllowLoopback=yes' "Allow=$site" "Allow=$cross" "Allow=$third" 'Block=http://127.0.0.3:*'
browser_start
# aios-ided with a workspace, for browser_file_upload (aios-browserd is one of its front ends).
mkdir -p "$work/files"
head -c 3000 /dev/urandom >"$work/files/photo.bin"
printf 'hello from the workspace\n' >"$work/files/note.txt"
chown -R aios-ide: "$work/files"
printf '[Workspace]\nName=files\nPath=%s\n' "$work/files" >"$work/ide.conf"
chmod 0644 "$work/ide.conf"
AIOS_IDE_CONFIG=$work/ide.conf AIOS_FRONT_END_USERS="aios-gateway aios-browser" \
        setpriv --reuid=aios-ide --regid=aios-ide --init-groups -- "${AIOS_IDED:?}" >>"$work/ided.log" 2>&1 &
ided_pid=$!
stack_wait_for_name org.aios.IDE1 "$ided_pid"
browser_gateway_start "agent=tools:browser tools:ide" other "evaluator=tools:browser tools:browser:browser_evaluate"
echo "# fixture on $site, $cross; blocked $blocked; loopback $loopback; gateway on $base"

# shellcheck disable=SC2154 # key_agent, key_other, key_evaluator: set by browser_gateway_start
A=$(mcp_open "$key_agent")
[[ -n $A ]] && pass "an MCP session opens through the gateway with an API key" || fail "an MCP session opens through the gateway with an API key"

# --- the tools ---------------------------------------------------------------------------------------------
mcp_request "$key_agent" "$A" tools/list '{}' | jq -c '.result' >"$work/tools.json"
tools=$(jq -r '.tools[].name' "$work/tools.json" 2>/dev/null | sort | tr '\n' ' ')
expected="browser_click browser_close browser_console_messages browser_drag browser_evaluate browser_file_upload \
browser_fill_form browser_handle_dialog browser_hover browser_navigate browser_navigate_back browser_network_requests \
browser_pdf_save browser_press_key browser_resize browser_select_option browser_snapshot browser_tabs \
browser_take_screenshot browser_type browser_wait_for "
[[ $tools == "$expected" ]] && pass "tools/list has the 21 browser_ tools" || fail "tools/list has the 21 browser_ tools" "got: $tools"
out=$(jq -r '.tools[] | select((.title // .annotations.title) == null or .inputSchema == null or .outputSchema == null or .annotations == null) | .name' "$work/tools.json")
[[ -z $out ]] && pass "each has a title, both schemas and annotations" || fail "each has a title, both schemas and annotations" "$out"

# --- forms ---------------------------------------------------------------------------------------------------
out=$(call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/form\"}")
ok "browser_navigate opens the fixture's form" "$out"
expect "and says where it landed, with the title" '"title":"Form"' "$out"
s=$(snap "$key_agent" "$A")
expect "browser_snapshot: the heading" '- h1 "Order form"' "$s"
for what in 'textbox "Name"' 'textbox "Password"' 'combobox "Size"' 'checkbox "Gift wrap"' 'radio "Post"' \
        'radio "Courier"' 'textbox "Notes"' 'button "Place order"'; do
        [[ -n $(ref_of "$s" "$what") ]] && pass "the snapshot gives $what a ref" || fail "the snapshot gives $what a ref" "$s"
done
out=$(call "$key_agent" "$A" browser_type "{\"element\":\"Name\",\"ref\":\"$(ref_of "$s" 'textbox "Name"')\",\"text\":\"Ada Lovelace\"}")
ok "browser_type types into the text box" "$out"
out=$(call "$key_agent" "$A" browser_select_option "{\"element\":\"Size\",\"ref\":\"$(ref_of "$s" 'combobox "Size"')\",\"values\":[\"Large\"]}")
ok "browser_select_option picks an option by its label" "$out"
out=$(call "$key_agent" "$A" browser_click "{\"element\":\"Gift wrap\",\"ref\":\"$(ref_of "$s" 'checkbox "Gift wrap"')\"}")
ok "browser_click ticks the checkbox" "$out"
out=$(call "$key_agent" "$A" browser_fill_form "{\"fields\":[
        {\"name\":\"Password\",\"type\":\"textbox\",\"ref\":\"$(ref_of "$s" 'textbox "Password"')\",\"value\":\"s3cret\"},
        {\"name\":\"Courier\",\"type\":\"radio\",\"ref\":\"$(ref_of "$s" 'radio "Courier"')\",\"value\":\"true\"},
        {\"name\":\"Notes\",\"type\":\"textbox\",\"ref\":\"$(ref_of "$s" 'textbox "Notes"')\",\"value\":\"Ring twice.\\nThen wait.\"}]}")
ok "browser_fill_form fills a password, a radio button and a textarea" "$out"
s2=$(snap "$key_agent" "$A")
expect "the snapshot shows the checkbox ticked" 'checkbox "Gift wrap" [checked]' "$s2"
out=$(call "$key_agent" "$A" browser_click "{\"element\":\"Place order\",\"ref\":\"$(ref_of "$s" 'button "Place order"')\"}")
ok "browser_click submits the form" "$out"
expect "the fixture received every field as set" \
        "form delivery=courier gift=yes name=Ada Lovelace notes=Ring twice.\r\nThen wait. secret=s3cret size=l" "$(posts)"
expect "the page after the submission is what the snapshot shows" 'Received' "$(snap "$key_agent" "$A")"

call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/form\"}" >/dev/null
s=$(snap "$key_agent" "$A")
out=$(call "$key_agent" "$A" browser_type "{\"element\":\"Name\",\"ref\":\"$(ref_of "$s" 'textbox "Name"')\",\"text\":\"Grace\"}")
out=$(call "$key_agent" "$A" browser_press_key '{"key":"Enter"}')
ok "browser_press_key Enter" "$out"
for ((i = 0; i < 50; i++)); do [[ $(posts) == *"name=Grace"* ]] && break; sleep 0.1; done
expect "Enter in the text box submitted the form" "name=Grace" "$(posts)"
out=$(call "$key_agent" "$A" browser_navigate_back '{}')
ok "browser_navigate_back goes back" "$out" "/form"
s=$(snap "$key_agent" "$A")
out=$(call "$key_agent" "$A" browser_type "{\"element\":\"Name\",\"ref\":\"$(ref_of "$s" 'textbox "Name"')\",\"text\":\"Hopper\",\"submit\":true}")
for ((i = 0; i < 50; i++)); do [[ $(posts) == *"name=Hopper"* ]] && break; sleep 0.1; done
expect "browser_type with submit submits" "name=Hopper" "$(posts)"

# --- uploads: files of an IDE workspace only ------------------------------------------------------------------------
call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/upload\"}" >/dev/null
s=$(snap "$key_agent" "$A")
input=$(ref_of "$s" 'button "Choose File"')
[[ -n $input ]] && pass "the file input has a ref" || fail "the file input has a ref" "$s"
out=$(call "$key_agent" "$A" browser_file_upload "{\"element\":\"File\",\"ref\":\"$input\",\"files\":[{\"workspace\":\"files\",\"path\":\"photo.bin\"},{\"workspace\":\"files\",\"path\":\"note.txt\"}]}")
ok "browser_file_upload sets two workspace files on the input" "$out"
call "$key_agent" "$A" browser_click "{\"element\":\"Send file\",\"ref\":\"$(ref_of "$s" 'button "Send file"')\"}" >/dev/null
for ((i = 0; i < 50; i++)); do [[ $(posts) == *"upload file"* ]] && break; sleep 0.1; done
expect "the site received the first file, byte for byte" \
        "file photo.bin 3000 bytes sha256 $(sha256sum "$work/files/photo.bin" | cut -d' ' -f1)" "$(posts)"
expect "and the second" "file note.txt 25 bytes sha256 $(sha256sum "$work/files/note.txt" | cut -d' ' -f1)" "$(posts)"
call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/upload\"}" >/dev/null
s=$(snap "$key_agent" "$A")
input=$(ref_of "$s" 'button "Choose File"')
out=$(call "$key_agent" "$A" browser_file_upload "{\"element\":\"File\",\"ref\":\"$input\",\"files\":[{\"workspace\":\"files\",\"path\":\"../ide.conf\"}]}")
refused "a path that leaves the workspace is refused" "$out" "ide.conf"
out=$(call "$key_agent" "$A" browser_file_upload "{\"element\":\"File\",\"ref\":\"$input\",\"files\":[{\"workspace\":\"nope\",\"path\":\"note.txt\"}]}")
refused "a workspace that does not exist is refused" "$out" "nope"
# shellcheck disable=SC2154
O=$(mcp_open "$key_other")
call "$key_other" "$O" browser_navigate "{\"url\":\"$site/upload\"}" >/dev/null
s=$(snap "$key_other" "$O")
out=$(call "$key_other" "$O" browser_file_upload "{\"element\":\"File\",\"ref\":\"$(ref_of "$s" 'button "Choose File"')\",\"files\":[{\"workspace\":\"files\",\"path\":\"note.txt\"}]}")
refused "a key without aios-ided's scope cannot upload the workspace's files" "$out" "note.txt"
expect "nothing more reached the site" "1" "$(grep -c '^upload' "$fixture_dir/posts.log")"

# --- hover, drag, console ----------------------------------------------------------------------------------------
call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/counter\"}" >/dev/null
s=$(snap "$key_agent" "$A")
out=$(call "$key_agent" "$A" browser_hover "{\"element\":\"Hover me\",\"ref\":\"$(ref_of "$s" 'button "Hover me"')\"}")
ok "browser_hover" "$out"
expect "the page noticed the mouse" "hovered" "$(snap "$key_agent" "$A" | grep -v 'not hovered')"
out=$(call "$key_agent" "$A" browser_console_messages '{}')
ok "browser_console_messages" "$out" "counter page says hello"
expect "with the warning" "counter page warns" "$out"
out=$(call "$key_agent" "$A" browser_console_messages '{"level":"warning"}')
reject "level warning leaves out the log message" "counter page says hello" "$out"
call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/drag\"}" >/dev/null
s=$(snap "$key_agent" "$A")
out=$(call "$key_agent" "$A" browser_drag "{\"startElement\":\"Drag me\",\"startRef\":\"$(ref_of "$s" 'button "Drag me"')\",\"endElement\":\"Drop here\",\"endRef\":\"$(ref_of "$s" 'button "Drop here"')\"}")
ok "browser_drag" "$out"
expect "the mouse went down on one, moved with the button held and up on the other" \
        "dropped on target, moved with the button held" "$(snap "$key_agent" "$A")"
call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/dnd\"}" >/dev/null
s=$(snap "$key_agent" "$A")
out=$(call "$key_agent" "$A" browser_drag "{\"startElement\":\"Pears\",\"startRef\":\"$(ref_of "$s" 'option "Pears"')\",\"endElement\":\"Basket\",\"endRef\":\"$(ref_of "$s" 'listbox "Basket"')\"}")
ok "browser_drag of an HTML5 draggable" "$out"
s=$(snap "$key_agent" "$A")
expect "the drop read the data its dragstart set" "the basket got item:pears" "$s"
expect "the item's source heard its drag end in a move" "drag of pears ended with move" "$s"
expect "the page moved the item into the basket" 'listbox "Basket"' "$(grep -B1 'option "Pears"' <<<"$s")"
call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/dndframe\"}" >/dev/null
s=$(snap "$key_agent" "$A")
out=$(call "$key_agent" "$A" browser_drag "{\"startElement\":\"Plums\",\"startRef\":\"$(ref_of "$s" 'option "Plums"')\",\"endElement\":\"Basket\",\"endRef\":\"$(ref_of "$s" 'listbox "Basket"')\"}")
ok "browser_drag of an HTML5 draggable in a frame of another origin" "$out"
expect "that frame's drop read its data" "the basket got item:plums" "$(snap "$key_agent" "$A")"

# --- dialogs ---------------------------------------------------------------------------------------------------
call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/dialogs\"}" >/dev/null
s=$(snap "$key_agent" "$A")
out=$(call "$key_agent" "$A" browser_click "{\"element\":\"Show alert\",\"ref\":\"$(ref_of "$s" 'button "Show alert"')\"}")
expect "a click that opens an alert says so" "Hello from alert" "$out"
out=$(call "$key_agent" "$A" browser_handle_dialog '{"accept":true}')
ok "browser_handle_dialog accepts the alert" "$out"
expect "the page goes on" "alert closed" "$(snap "$key_agent" "$A")"
call "$key_agent" "$A" browser_click "{\"element\":\"Ask confirm\",\"ref\":\"$(ref_of "$s" 'button "Ask confirm"')\"}" >/dev/null
out=$(call "$key_agent" "$A" browser_handle_dialog '{"accept":false}')
ok "browser_handle_dialog dismisses a confirm" "$out"
expect "the page got false" "cancelled" "$(snap "$key_agent" "$A")"
out=$(call "$key_agent" "$A" browser_click "{\"element\":\"Ask prompt\",\"ref\":\"$(ref_of "$s" 'button "Ask prompt"')\"}")
expect "a prompt is told with its default" "nobody" "$out"
out=$(call "$key_agent" "$A" browser_handle_dialog '{"accept":true,"promptText":"Ada"}')
ok "browser_handle_dialog answers a prompt" "$out"
expect "the page got the answer" "prompt said Ada" "$(snap "$key_agent" "$A")"
out=$(call "$key_agent" "$A" browser_handle_dialog '{"accept":true}')
refused "browser_handle_dialog without a dialog open" "$out" "dialog"

# --- frames ------------------------------------------------------------------------------------------------------
call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/frames\"}" >/dev/null
s=$(snap "$key_agent" "$A")
for what in 'button "Press in same"' 'button "Press in cross"' 'textbox "Field in cross"'; do
        [[ -n $(ref_of "$s" "$what") ]] && pass "the snapshot reaches into the frames: $what" || fail "the snapshot reaches into the frames: $what" "$s"
done
out=$(call "$key_agent" "$A" browser_click "{\"element\":\"Press in cross\",\"ref\":\"$(ref_of "$s" 'button "Press in cross"')\"}")
ok "browser_click in the cross-origin frame" "$out"
out=$(call "$key_agent" "$A" browser_type "{\"element\":\"Field in cross\",\"ref\":\"$(ref_of "$s" 'textbox "Field in cross"')\",\"text\":\"typed across\"}")
ok "browser_type in the cross-origin frame" "$out"
call "$key_agent" "$A" browser_click "{\"element\":\"Press in same\",\"ref\":\"$(ref_of "$s" 'button "Press in same"')\"}" >/dev/null
s=$(snap "$key_agent" "$A")
expect "the cross-origin frame's button was pressed" "pressed in cross" "$s"
expect "the same-origin frame's too" "pressed in same" "$s"
expect "the text is in the cross-origin field" "typed across" "$s"
# png_size ANSWER: "WIDTHxHEIGHT" of the PNG image content in a tools/call answer.
png_size() {
        local hex
        hex=$(jq -r '.result.content[] | select(.type == "image") | .data' <<<"$1" 2>/dev/null | head -n 1 | base64 -d 2>/dev/null |
                head -c 24 | od -An -tx1 | tr -d ' \n')
        [[ ${hex:0:16} == 89504e470d0a1a0a ]] && echo "$((16#${hex:32:8}))x$((16#${hex:40:8}))"
}
out=$(call "$key_agent" "$A" browser_take_screenshot "{\"element\":\"Press in cross\",\"ref\":\"$(ref_of "$s" 'button "Press in cross"')\"}")
ok "a screenshot of an element in the cross-origin frame" "$out"
shot=$(png_size "$out")
inside=$(call "$key_agent" "$A" browser_take_screenshot "{\"element\":\"Press in same\",\"ref\":\"$(ref_of "$s" 'button "Press in same"')\"}")
same_shot=$(png_size "$inside")
# The buttons differ by a word: as high as the same-origin frame's, about as wide, much smaller than the frame.
if [[ -n $shot && -n $same_shot && ${shot#*x} == "${same_shot#*x}" ]] && ((${shot%x*} < 200 && ${shot%x*} > ${same_shot%x*} - 20 &&
        ${shot%x*} < ${same_shot%x*} + 20)); then
        pass "the button's own size, as its twin's in the same-origin frame ($shot, $same_shot)"
else
        fail "the button's own size, as its twin's in the same-origin frame" "cross $shot, same $same_shot"
fi
# png_pixel ANSWER X Y: "R G B" of a pixel of the PNG image content (8-bit RGB or RGBA, as Chromium writes).
png_pixel() {
        jq -r '.result.content[] | select(.type == "image") | .data' <<<"$1" 2>/dev/null | head -n 1 | base64 -d 2>/dev/null |
                /usr/bin/python3 -c '
import struct, sys, zlib
d = sys.stdin.buffer.read(); x, y = int(sys.argv[1]), int(sys.argv[2]); i = 8; idat = b""
while i < len(d):
    n, kind = struct.unpack(">I4s", d[i:i + 8])
    if kind == b"IHDR": w, h, depth, color = struct.unpack(">IIBB", d[i + 8:i + 18])
    if kind == b"IDAT": idat += d[i + 8:i + 8 + n]
    i += 12 + n
bpp = 4 if color == 6 else 3; stride = w * bpp; raw = zlib.decompress(idat); rows = []; prev = bytearray(stride)
for r in range(h):
    f, line = raw[r * (stride + 1)], bytearray(raw[r * (stride + 1) + 1:(r + 1) * (stride + 1)])
    for j in range(stride):
        a = line[j - bpp] if j >= bpp else 0; b = prev[j]; c = prev[j - bpp] if j >= bpp else 0
        if f == 1: line[j] = (line[j] + a) & 255
        elif f == 2: line[j] = (line[j] + b) & 255
        elif f == 3: line[j] = (line[j] + (a + b) // 2) & 255
        elif f == 4:
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            line[j] = (line[j] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
print(*rows[y][x * bpp:x * bpp + 3])' "$2" "$3"
}
# Its left edge, inside the border, is the button's face, as on its twin (a shot of the wrong place is the page's).
face=$(png_pixel "$out" 4 $((${shot#*x} / 2)))
same_face=$(png_pixel "$inside" 4 $((${same_shot#*x} / 2)))
[[ -n $face && $face == "$same_face" && $face != "255 255 255" ]] && pass "and shows the button (its face $face)" ||
        fail "and shows the button" "cross frame's shot: $face, the same-origin frame's: $same_face"

# A frame of a third origin in the cross-origin one: read there, acted on there, captured there.
call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/nested\"}" >/dev/null
s=$(snap "$key_agent" "$A")
expect "a frame nested in a cross-origin frame is read, below its iframe" \
        '- iframe "Outer frame":'$'\n''  - h2 "Outer"'$'\n''  - iframe "Deep frame":'$'\n''    - h2 "Inner deep"' "$s"
for what in 'button "Press in deep"' 'textbox "Field in deep"'; do
        [[ -n $(ref_of "$s" "$what") ]] && pass "its $what has a ref" || fail "its $what has a ref" "$s"
done
out=$(call "$key_agent" "$A" browser_click "{\"element\":\"Press in deep\",\"ref\":\"$(ref_of "$s" 'button "Press in deep"')\"}")
ok "browser_click in the nested frame" "$out"
out=$(call "$key_agent" "$A" browser_type "{\"element\":\"Field in deep\",\"ref\":\"$(ref_of "$s" 'textbox "Field in deep"')\",\"text\":\"typed deep\"}")
ok "browser_type in the nested frame" "$out"
out=$(call "$key_agent" "$A" browser_take_screenshot "{\"element\":\"Press in deep\",\"ref\":\"$(ref_of "$s" 'button "Press in deep"')\"}")
deep_shot=$(png_size "$out")
[[ -n $deep_shot && ${deep_shot#*x} == "${same_shot#*x}" ]] && ((${deep_shot%x*} < 200)) &&
        [[ $(png_pixel "$out" 4 $((${deep_shot#*x} / 2))) == "$same_face" ]] &&
        pass "a screenshot of its button shows the button ($deep_shot)" || fail "a screenshot of its button shows the button" "$deep_shot: ${out:0:300}"
s=$(snap "$key_agent" "$A")
expect "the nested frame's button was pressed (the mouse at its place on the page)" "pressed in deep" "$s"
expect "the text is in the nested frame's field" "typed deep" "$s"

# --- the snapshot's form: every element one acts on has a ref, on every fixture page ---------------------------------
# (the elements each page has, by role and name; nothing else carries a ref)
declare -A acts=(
        [/]="$(printf 'link "%s"|' Form Dialogs Frames Upload 'Slow page' 'Late text' 'Redirect chain' 'Endless redirect' \
                'Requests elsewhere' 'Big page' Cookie Counter Drag 'Drag and drop' Article)"
        [/form]='textbox "Name"|textbox "Password"|combobox "Size"|checkbox "Gift wrap"|radio "Post"|radio "Courier"|textbox "Notes"|button "Place order"|'
        [/dialogs]='button "Show alert"|button "Ask confirm"|button "Ask prompt"|'
        [/frames]='button "Press in same"|textbox "Field in same"|button "Press in cross"|textbox "Field in cross"|'
        [/upload]='button "Choose File"|button "Send file"|'
        [/counter]='button "Add one"|button "Hover me"|'
        [/drag]='button "Drag me"|button "Drop here"|'
        [/dnd]='listbox "Shelf"|option "Apples"|option "Pears"|option "Plums"|listbox "Basket"|'
        [/article]="link \"Home\"|link \"Docs\"|link \"Shop\"|searchbox \"Search the docs\"|button \"Search\"|$(
                printf 'link "Section %d"|' {1..30})$(printf 'link "Back to %d"|' {1..10})"
)
for page in / /form /dialogs /frames /upload /counter /drag /dnd /article; do
        call "$key_agent" "$A" browser_navigate "{\"url\":\"$site$page\"}" >/dev/null
        s=$(snap "$key_agent" "$A")
        missing=() wanted=0
        IFS='|' read -ra elements <<<"${acts[$page]}"
        for what in "${elements[@]}"; do
                wanted=$((wanted + 1))
                [[ -n $(ref_of "$s" "$what") ]] || missing+=("$what")
        done
        ((${#missing[@]} == 0)) && pass "$page: each of its $wanted elements to act on has a ref" ||
                fail "$page: each of its $wanted elements to act on has a ref" "missing: ${missing[*]}"$'\n'"$s"
        refs=$(refs_in "$s")
        same "$page: and nothing else has one" "$wanted" "$(grep -c . <<<"$refs")"
        same "$page: each ref once" "" "$(sort <<<"$refs" | uniq -d)"
        same "$page: refs are a document's letter and a number" "" "$(grep -Ev '^[a-z]{1,2}[1-9][0-9]*$' <<<"$refs")"
        same "$page: no line that siblings share runs past 160 characters" "" \
                "$(sed 's/^ *//' <<<"$s" | grep '^- [a-z].*\], "' | awk 'length > 160')"
done
# The last page was /article: its lines follow the rules aios-browserd(8) gives.
expect "a heading is hN" '- h1 "How the browser works"' "$s"
expect "siblings of one role share a line" "- link \"Home\" [ref=$(ref_of "$s" 'link "Home"')], \"Docs\" [ref=$(ref_of "$s" 'link "Docs"')], \"Shop\" [ref=$(ref_of "$s" 'link "Shop"')]" "$s"
expect "a run of text is a quoted line" '  - "Chromium runs each site in a renderer process of its own.' "$s"
expect "cut at text_chars with an ellipsis" 'its own. The browser…"' "$s"
expect "a row of plain cells is one line" '- row: navigate | 3 | 17 ms' "$s"
reject "paragraphs and nameless forms are written as what they hold" "paragraph" "$s"
expect "the landmarks stay" '- navigation "Sections":' "$s"
same "and the links in the list of the sections are all there" 30 "$(grep -o '"Section [0-9]*" \[ref=' <<<"$s" | wc -l)"
out=$(call "$key_agent" "$A" browser_snapshot '{"text_chars":1000}')
expect "text_chars shows a run whole" 'draws it. Chromium runs each site in a renderer process of its own. The browser process decides what a page may load; the renderer draws it."' "$(text "$out")"
old=$(ref_of "$s" 'link "Home"')
call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/dialogs\"}" >/dev/null
s=$(snap "$key_agent" "$A")
[[ ${old//[0-9]/} != "$(ref_of "$s" 'button "Show alert"' | tr -d 0-9)" ]] && pass "the next document's refs have other letters" ||
        fail "the next document's refs have other letters" "$old then $s"
out=$(call "$key_agent" "$A" browser_click "{\"element\":\"Home\",\"ref\":\"$old\"}")
refused "a ref of the page before names nothing on this one" "$out" "no element $old"

# --- slow and late -------------------------------------------------------------------------------------------------
out=$(call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/slow?ms=2500\"}")
ok "browser_navigate waits for a page that answers after 2.5 s" "$out"
expect "it has loaded when the answer comes" "Finally here" "$(snap "$key_agent" "$A")"
call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/late?ms=1500\"}" >/dev/null
out=$(call "$key_agent" "$A" browser_wait_for '{"text":"Ready now","time":20}')
ok "browser_wait_for text that comes 1.5 s after the load" "$out"
[[ $(sc "$out" .met) == true ]] && pass "and says it was met" || fail "and says it was met" "$out"
out=$(call "$key_agent" "$A" browser_wait_for '{"textGone":"Loading","time":5}')
ok "browser_wait_for textGone" "$out"
out=$(call "$key_agent" "$A" browser_wait_for '{"text":"never on this page","time":1}')
if is_error "$out" || [[ $(sc "$out" .met) == false ]]; then pass "browser_wait_for text that never comes ends at its time, unmet"; else
        fail "browser_wait_for text that never comes ends at its time, unmet" "$out"; fi

# --- the origin policy -----------------------------------------------------------------------------------------------
out=$(call "$key_agent" "$A" browser_navigate "{\"url\":\"$blocked/landing\"}")
refused "navigating to a blocked origin is refused, saying why" "$out" "Block="
out=$(call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/redirect\"}")
refused "a redirect chain that ends in a blocked origin is refused" "$out" "127.0.0.3"
expect "the chain's own hops were followed" "GET /redirect/2" "$(cat "$fixture_dir/site.log")"
out=$(call "$key_agent" "$A" browser_navigate "{\"url\":\"$loopback/\"}")
refused "a loopback port not among Allow= is refused" "$out" "Allow="
call "$key_agent" "$A" browser_network_requests '{"clear":true}' >/dev/null
call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/fetches\"}" >/dev/null
out=$(call "$key_agent" "$A" browser_wait_for '{"text":"all: done","time":20}')
s=$(snap "$key_agent" "$A")
expect "fetch() to the blocked origin fails in the page" "fetch blocked origin: failed TypeError" "$s"
expect "fetch() to the loopback port fails in the page" "fetch loopback port: failed TypeError" "$s"
expect "a worker's fetch() to the blocked origin fails" "worker fetch: failed TypeError" "$s"
expect "fetch() to the page's own origin works" "fetch own origin: own origin answered" "$s"
expect "the blocked image did not load" "img: failed" "$s"
out=$(call "$key_agent" "$A" browser_network_requests '{"blockedOnly":true}')
ok "browser_network_requests lists what was refused" "$out" "$blocked/api"
expect "with the loopback port's request" "$loopback/api" "$out"
expect "and the frame's" "$blocked/frame" "$out"
out=$(call "$key_agent" "$A" browser_network_requests '{}')
expect "browser_network_requests lists what loaded, with its status" '"status":200' "$out"
expect "the blocked origin's server saw no request at all" "0" "$(browser_hits blocked)"
expect "nor did the loopback port's" "0" "$(browser_hits loopback)"
for url in "file:///etc/passwd" "chrome://crash" "devtools://devtools/bundled/inspector.html" "javascript:alert(1)" \
        "data:text/html,<h1>x</h1>" "view-source:$site/"; do
        out=$(call "$key_agent" "$A" browser_navigate "$(jq -cn --arg u "$url" '{url: $u}')")
        refused "browser_navigate refuses ${url%%:*}: URLs" "$out" "${url%%:*}"
done
out=$(call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/loop\"}")
refused "an endless redirect ends in an error" "$out" "ERR_TOO_MANY_REDIRECTS"
out=$(call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/counter\"}")
ok "and the session goes on" "$out"

# --- 100,000 nodes ------------------------------------------------------------------------------------------------------
out=$(call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/big\"}" 120)
ok "browser_navigate opens a page of 100,000 nodes" "$out"
out=$(call "$key_agent" "$A" browser_snapshot '{}' 120)
ok "browser_snapshot of it" "$out"
s=$(sc "$out" .snapshot)
((${#s} > 1000 && ${#s} <= 21000)) && pass "its snapshot keeps to the default budget (${#s} characters)" || fail "its snapshot keeps to the default budget" "${#s} characters"
[[ $(sc "$out" .truncated) == true ]] && pass "and says it is cut short" || fail "and says it is cut short" "${out:0:600}"
expect "and how to ask for the rest" "max_chars" "$(text "$out")"
out=$(call "$key_agent" "$A" browser_snapshot '{"max_chars":1000000}' 120)
s=$(sc "$out" .snapshot)
bottom=$(ref_of "$s" 'button "Bottom button"')
[[ -n $bottom ]] && pass "with a larger budget the button after the 50,000 items has a ref" || fail "with a larger budget the button after the 50,000 items has a ref" "$(tail -c 600 <<<"$s")"
out=$(call "$key_agent" "$A" browser_click "{\"element\":\"Bottom button\",\"ref\":\"$bottom\"}" 120)
ok "and a click reaches it" "$out"
out=$(call "$key_agent" "$A" browser_snapshot "{\"ref\":\"$bottom\"}")
expect "a snapshot of that element alone" 'Bottom pressed' "$out"
out=$(call "$key_agent" "$A" browser_snapshot '{"depth":1}' 120)
ok "a snapshot one level deep" "$out"

# --- two sessions, two principals: cookies of their own -------------------------------------------------------------
B=$(mcp_open "$key_agent")
C=$(mcp_open "$key_other")
call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/cookie?set=alice\"}" >/dev/null
call "$key_agent" "$B" browser_navigate "{\"url\":\"$site/cookie?set=bob\"}" >/dev/null
call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/cookie\"}" >/dev/null
expect "session A sees its cookie" "cookie who is alice" "$(snap "$key_agent" "$A")"
call "$key_agent" "$B" browser_navigate "{\"url\":\"$site/cookie\"}" >/dev/null
expect "session B, same key, sees its own" "cookie who is bob" "$(snap "$key_agent" "$B")"
call "$key_other" "$C" browser_navigate "{\"url\":\"$site/cookie\"}" >/dev/null
expect "another principal sees none" "cookie who is none" "$(snap "$key_other" "$C")"
out=$(call "$key_other" "$C" browser_tabs '{"action":"list"}')
reject "nor the others' tabs" "cookie?set" "$out"

# --- tabs, resize, screenshots, PDF, close ------------------------------------------------------------------------------
out=$(call "$key_agent" "$A" browser_tabs "{\"action\":\"new\",\"url\":\"$site/article\"}")
ok "browser_tabs new opens a tab" "$out"
out=$(call "$key_agent" "$A" browser_tabs '{"action":"list"}')
[[ $(sc "$out" '.tabs | length') == 2 ]] && pass "browser_tabs list shows two" || fail "browser_tabs list shows two" "$out"
expect "the new one current" "$site/article" "$(sc "$out" '.tabs[] | select(.current) | .url')"
out=$(call "$key_agent" "$A" browser_tabs '{"action":"select","index":1}')
ok "browser_tabs select" "$out"
expect "the first tab is current again" "cookie who is alice" "$(snap "$key_agent" "$A")"
out=$(call "$key_agent" "$A" browser_tabs '{"action":"close","index":2}')
ok "browser_tabs close" "$out"
out=$(call "$key_agent" "$A" browser_resize '{"width":800,"height":600}')
ok "browser_resize" "$out"
out=$(call "$key_agent" "$A" browser_take_screenshot '{}')
png=$(jq -r '.result.content[] | select(.type == "image") | .data' <<<"$out" 2>/dev/null | head -n 1)
size=$(base64 -d <<<"$png" 2>/dev/null | head -c 24 | od -An -tx1 | tr -d ' \n')
[[ ${size:0:16} == 89504e470d0a1a0a ]] && pass "browser_take_screenshot gives PNG image content" || fail "browser_take_screenshot gives PNG image content" "${out:0:400}"
[[ ${size:32:16} == 0000032000000258 ]] && pass "of the resized viewport, 800x600" || fail "of the resized viewport, 800x600" "IHDR ${size:32:16}"
out=$(call "$key_agent" "$A" browser_take_screenshot '{"type":"jpeg","fullPage":true}')
jpg=$(jq -r '.result.content[] | select(.type == "image") | .mimeType' <<<"$out" 2>/dev/null)
expect "a full-page JPEG" "image/jpeg" "$jpg"
call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/form\"}" >/dev/null
s=$(snap "$key_agent" "$A")
out=$(call "$key_agent" "$A" browser_take_screenshot "{\"element\":\"Place order\",\"ref\":\"$(ref_of "$s" 'button "Place order"')\"}")
ok "a screenshot of one element" "$out"
out=$(call "$key_agent" "$A" browser_pdf_save '{}')
pdf=$(jq -r '.result.content[] | select(.type == "resource") | .resource.blob' <<<"$out" 2>/dev/null | head -n 1)
[[ $(base64 -d <<<"$pdf" 2>/dev/null | head -c 5) == %PDF- ]] && pass "browser_pdf_save gives a PDF as an embedded resource" ||
        fail "browser_pdf_save gives a PDF as an embedded resource" "${out:0:400}"

# --- browser_evaluate: its own polkit action, no by default ---------------------------------------------------------------
out=$(call "$key_agent" "$A" browser_evaluate '{"function":"() => document.title"}')
refused "browser_evaluate is refused without a polkit grant, though the key has tools:browser" "$out" "-32003"
# shellcheck disable=SC2154
E=$(mcp_open "$key_evaluator")
call "$key_evaluator" "$E" browser_navigate "{\"url\":\"$site/form\"}" >/dev/null
out=$(call "$key_evaluator" "$E" browser_evaluate '{"function":"() => document.title"}')
ok "a key with the scope tools:browser:browser_evaluate runs it (the shipped rule)" "$out" "Form"
cat >"$runtime/polkit-rules.d/40-browser-evaluate.rules" <<'EOF'
polkit.addRule(function(action, subject) {
    if (action.id == "org.aios.browser.evaluate" && action.lookup("principal") == "key:agent")
        return polkit.Result.YES;
});
EOF
chmod 0644 "$runtime/polkit-rules.d/40-browser-evaluate.rules"
for ((i = 0; i < 100; i++)); do
        out=$(call "$key_agent" "$A" browser_evaluate '{"function":"() => document.title"}')
        [[ $out != *-32003* ]] && break
        sleep 0.1
done
ok "a rule granting org.aios.browser.evaluate to key:agent lets it run" "$out" "Form"
out=$(call "$key_agent" "$A" browser_evaluate "{\"function\":\"(el) => el.textContent\",\"element\":\"Place order\",\"ref\":\"$(ref_of "$s" 'button "Place order"')\"}")
ok "browser_evaluate on an element" "$out" "Place order"
out=$(call "$key_other" "$C" browser_evaluate '{"function":"() => 1"}')
refused "still refused to the other key" "$out" "-32003"
out=$(call "$key_agent" "$A" browser_evaluate "{\"function\":\"() => fetch('$blocked/evaluate').then(() => 'reached', (e) => 'failed ' + e.name)\"}")
expect "page JavaScript is under the origin policy too" "failed TypeError" "$out"
expect "the blocked origin still saw nothing" "0" "$(browser_hits blocked)"

# --- bad input ---------------------------------------------------------------------------------------------------
out=$(call "$key_agent" "$A" browser_navigate '{"url":5}')
refused "a URL that is not a string" "$out" "url"
out=$(call "$key_agent" "$A" browser_navigate '{"url":"not a url"}')
refused "a URL that is not one" "$out" "not a url"
out=$(call "$key_agent" "$A" browser_navigate "$(jq -cn --arg u "$site/$(head -c 20000 /dev/zero | tr '\0' a)" '{url: $u}')")
refused "an oversized URL" "$out" "url"
out=$(call "$key_agent" "$A" browser_click '{"element":"x","ref":"e999999999"}')
refused "a ref that names no element" "$out" "e999999999"
out=$(call "$key_agent" "$A" browser_click '{"element":"x","ref":"body"}')
refused "a ref that is not one" "$out" "ref"
out=$(call "$key_agent" "$A" browser_snapshot '{"max_chars":-1}')
refused "a negative budget" "$out" "max_chars"
out=$(call "$key_agent" "$A" browser_tabs '{"action":"select","index":99}')
refused "a tab that does not exist" "$out" "99"
out=$(call "$key_agent" "$A" browser_resize '{"width":1,"height":1}')
refused "a size too small" "$out" "width"
out=$(curl -s "$base/servers/browser/mcp" "${mcp_headers[@]}" -H "Authorization: Bearer $key_agent" \
        -H "Mcp-Session-Id: $A" -H 'MCP-Protocol-Version: 2025-11-25' -d '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"browser_navigate","arguments":')
expect "malformed JSON is a parse error" "-32700" "$out"
N=$(mcp_open "")
out=$(call "" "$N" browser_navigate "{\"url\":\"$site/\"}")
expect "no key: anonymous is refused by polkit" "-32003" "$out"

# --- the renderer and the browser killed ---------------------------------------------------------------------------------
call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/counter\"}" >/dev/null
renderers=$(browser_processes "$browserd_pid" renderer | tr '\n' ' ')
[[ -n $renderers ]] && pass "the browser's renderers run below aios-browserd ($renderers)" || fail "the browser's renderers run below aios-browserd" "$(ps -ef --forest | tail -40)"
# shellcheck disable=SC2086
kill -KILL $renderers 2>/dev/null || true
for ((i = 0; i < 50; i++)); do
        out=$(call "$key_agent" "$A" browser_snapshot '{}')
        [[ $out == *crash* ]] && break
        sleep 0.1
done
expect "a snapshot of the killed page says its renderer crashed" "crash" "$out"
out=$(call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/counter\"}")
ok "browser_navigate after the crash loads the page again" "$out"
expect "which works" 'button "Add one"' "$(snap "$key_agent" "$A")"
main=$(browser_processes "$browserd_pid" "" | head -n 1)
[[ -n $main ]] && kill -KILL "$main"
for ((i = 0; i < 100; i++)); do
        out=$(call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/counter\"}")
        [[ $out == *restart* ]] && break
        sleep 0.2
done
expect "after the browser was killed, the session is told it was restarted" "restart" "$out"
out=$(call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/counter\"}")
ok "and the next navigation works" "$out"
main2=$(browser_processes "$browserd_pid" "" | head -n 1)
[[ -n $main2 && $main2 != "$main" ]] && pass "in a new browser process" || fail "in a new browser process" "before $main, now $main2"
kill -0 "$browserd_pid" 2>/dev/null && pass "aios-browserd is still running" || fail "aios-browserd is still running"

# --- close --------------------------------------------------------------------------------------------------------------
out=$(call "$key_agent" "$A" browser_close '{}')
ok "browser_close" "$out"
out=$(call "$key_agent" "$A" browser_navigate "{\"url\":\"$site/cookie\"}")
ok "a navigation after close opens a fresh page" "$out"
expect "with the session's cookies gone" "cookie who is none" "$(snap "$key_agent" "$A")"

# --- every tool's structuredContent against its output schema -------------------------------------------------------------
out=$("$AIOS_NODE" "$top/tests/browser/schema-check.mjs" "$work/tools.json" "$work/results.jsonl" 2>&1) &&
        pass "Ajv: every tool's structuredContent matches its outputSchema ($(wc -l <"$work/results.jsonl") results)" ||
        fail "Ajv: every tool's structuredContent matches its outputSchema" "$out"
echo "$out" | sed 's/^/# /'

# --- the default policy: loopback refused ----------------------------------------------------------------------------------
browser_stop
browser_config
browser_start
D=$(mcp_open "$key_agent")
before=$(browser_hits site)
out=$(call "$key_agent" "$D" browser_navigate "{\"url\":\"$site/\"}")
refused "with no drop-in, the loopback site is refused (AllowLoopback=no)" "$out" "AllowLoopback"
expect "and never reached" "$before" "$(browser_hits site)"
out=$(call "$key_agent" "$D" browser_navigate '{"url":"http://localhost:9/"}')
refused "localhost too" "$out" "AllowLoopback"

echo "1..$checks"
if ((failures > 0)); then
        echo "--- browserd.log"
        tail -n 60 "$work/browserd.log"
        echo "--- gateway.log"
        tail -n 20 "$work/gateway.log"
fi
[[ $failures -eq 0 ]]
