// SPDX-License-Identifier: LGPL-2.1-or-later
// polkit/50-aios.rules run as polkitd runs them, with the actions' defaults of polkit/org.aios.policy, on
// the cases of tests/scope-rules-cases.json: each must get the result the case names, which is also what
// the same rules written in C (src/shared/security/scope-rules.c, test-scope-rules) must answer. The subject
// is the gateway's user, a system service without a session, so an undecided check gets allow_any.
// usage: node scope-rules.js RULES CASES POLICY
"use strict";
const fs = require("fs");

const [rulesFile, casesFile, policyFile] = process.argv.slice(2);
const rules = [];
const polkit = {
        Result: { NO: "no", YES: "yes", AUTH_SELF: "auth_self", AUTH_SELF_KEEP: "auth_self_keep",
                  AUTH_ADMIN: "auth_admin", AUTH_ADMIN_KEEP: "auth_admin_keep", NOT_HANDLED: null },
        addRule(rule) { rules.push(rule); },
        addAdminRule() {},
        log() {},
};
new Function("polkit", fs.readFileSync(rulesFile, "utf8"))(polkit);

// allow_any of each action in the policy.
const defaults = new Map();
const policy = fs.readFileSync(policyFile, "utf8");
for (const m of policy.matchAll(/<action id="([^"]+)">([\s\S]*?)<\/action>/g)) {
        const any = /<allow_any>([a-z_]+)<\/allow_any>/.exec(m[2]);
        defaults.set(m[1], any ? any[1] : "no");
}

function decide(actionId, details) {
        const action = { id: actionId, lookup: (key) => details[key] };
        const subject = { user: "aios-gateway", local: false, active: false, groups: [] };
        for (const rule of rules) {
                const r = rule(action, subject);
                if (r !== null && r !== undefined)
                        return r;
        }
        return defaults.get(actionId) || "no"; // an action polkit does not know is refused
}

const cases = JSON.parse(fs.readFileSync(casesFile, "utf8"));
let failures = 0;
cases.forEach((c, i) => {
        const got = decide(c.action, c.details);
        const yes = got === "yes";
        const ok = yes === (c.result === "yes");
        if (!ok)
                failures++;
        console.log(`${ok ? "ok" : "not ok"} ${i + 1} - ${c.case}: ${got}` + (ok ? "" : ` (the case says ${c.result})`));
});
console.log(`1..${cases.length}`);
process.exit(failures ? 1 : 0);
