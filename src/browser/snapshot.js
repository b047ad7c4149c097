// SPDX-License-Identifier: LGPL-2.1-or-later
// aios-browserd's page reader: runs in an isolated world of the page (the page's own scripts cannot see or change
// it) and walks the DOM into a flat list of the accessibility tree's nodes, in document order, for
// src/browser/snapshot.c to write out. Roles and names follow the HTML-AAM and accname rules in their common
// cases. Each node the user acts on gets a ref ("b12": the document's letters, then a number), kept for the
// element as long as the document lives, so that the other tools find it again (globalThis.__aios.get(ref)). The walk stops collecting once the lines add
// up to the budget and only counts what is left, so a page of 100,000 nodes costs what its first lines cost.
// Called as (function)(options): options.max (characters), options.depth (levels), options.ref (a subtree),
// options.text (characters of a run of text; a longer one is cut and flagged "cut").
(function (options) {
        // Refs start with the letters the server gave this world when it made it (each document of a tab has
        // others), so that a ref from an earlier page names nothing here.
        const state = globalThis.__aios || (globalThis.__aios = {
                prefix: globalThis.__aiosDocument || 'a',
                next: 1,
                refs: new WeakMap(),
                byRef: new Map(),
                get(ref) {
                        const w = this.byRef.get(ref);
                        const el = w && w.deref();
                        return el && el.isConnected ? el : null;
                },
        });
        const refOf = (el) => {
                let r = state.refs.get(el);
                if (!r) {
                        r = state.prefix + state.next++;
                        state.refs.set(el, r);
                        state.byRef.set(r, new WeakRef(el));
                }
                return r;
        };
        const INTERACTIVE = 'a[href],button,input:not([type=hidden]),select,textarea,summary,[contenteditable=""],' +
                '[contenteditable=true],[tabindex]:not([tabindex="-1"]),[role=button],[role=link],[role=checkbox],' +
                '[role=radio],[role=tab],[role=menuitem],[role=option],[role=switch],[role=textbox],[role=combobox],' +
                '[role=slider],[role=spinbutton],[role=searchbox],[role=treeitem],[role=menuitemcheckbox],' +
                '[role=menuitemradio]';
        const CELLS = new Set(['cell', 'gridcell', 'columnheader', 'rowheader']);
        const ACTIONABLE = new Set(['button', 'link', 'textbox', 'searchbox', 'checkbox', 'radio', 'combobox',
                'listbox', 'option', 'menuitem', 'menuitemcheckbox', 'menuitemradio', 'tab', 'switch', 'slider',
                'spinbutton', 'treeitem']);
        const FROM_CONTENT = new Set(['button', 'link', 'heading', 'option', 'cell', 'columnheader', 'rowheader',
                'tab', 'menuitem', 'menuitemcheckbox', 'menuitemradio', 'treeitem', 'checkbox', 'radio', 'switch',
                'tooltip', 'caption', 'legend']);
        const SKIP = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'HEAD', 'META', 'LINK', 'TITLE']);
        // Wrappers without a role of their own that are blocks: the running text ends at their edges.
        const BLOCKS = new Set(['p', 'div', 'section', 'header', 'footer', 'address', 'pre', 'dl', 'dt', 'dd',
                'figure', 'figcaption', 'form', 'center', 'hgroup', 'legend', 'caption', 'tbody', 'thead',
                'tfoot']);
        const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();
        const clip = (s, n) => (s.length > n ? s.slice(0, n) + '…' : s);

        const implicitRole = (el) => {
                const tag = el.localName;
                switch (tag) {
                case 'a': case 'area': return el.hasAttribute('href') ? 'link' : null;
                case 'button': return 'button';
                case 'summary': return 'button';
                case 'select': return el.multiple || el.size > 1 ? 'listbox' : 'combobox';
                case 'option': return 'option';
                case 'textarea': return 'textbox';
                case 'h1': case 'h2': case 'h3': case 'h4': case 'h5': case 'h6': return 'heading';
                case 'ul': case 'ol': case 'menu': return 'list';
                case 'li': return 'listitem';
                case 'nav': return 'navigation';
                case 'main': return 'main';
                case 'aside': return 'complementary';
                case 'header': return el.closest('article,aside,main,nav,section') ? null : 'banner';
                case 'footer': return el.closest('article,aside,main,nav,section') ? null : 'contentinfo';
                // A form is a landmark only when it has a name (HTML-AAM); else it is a wrapper.
                case 'form': return el.hasAttribute('aria-label') || el.hasAttribute('aria-labelledby') ||
                        el.hasAttribute('title') ? 'form' : null;
                case 'search': return 'search';
                case 'article': return 'article';
                case 'section': return el.hasAttribute('aria-label') || el.hasAttribute('aria-labelledby') ? 'region' : null;
                case 'table': return 'table';
                case 'tr': return 'row';
                case 'td': return 'cell';
                case 'th': return el.closest('thead') || el.getAttribute('scope') === 'col' ? 'columnheader' : 'rowheader';
                case 'img': return el.getAttribute('alt') === '' ? null : 'img';
                case 'dialog': return 'dialog';
                case 'iframe': return 'iframe';
                case 'progress': return 'progressbar';
                case 'hr': return 'separator';
                case 'blockquote': return 'blockquote';
                case 'fieldset': return 'group';
                case 'details': return 'group';
                case 'input': {
                        const t = (el.type || 'text').toLowerCase();
                        if (t === 'hidden') return null;
                        if (['button', 'submit', 'reset', 'image', 'file'].includes(t)) return 'button';
                        if (t === 'checkbox') return 'checkbox';
                        if (t === 'radio') return 'radio';
                        if (t === 'range') return 'slider';
                        if (t === 'number') return 'spinbutton';
                        if (t === 'search') return 'searchbox';
                        return 'textbox';
                }
                }
                if (el.isContentEditable && el.getAttribute('contenteditable') !== null) return 'textbox';
                return null;
        };
        const roleOf = (el) => {
                const r = norm(el.getAttribute('role')).split(' ')[0];
                // A paragraph is written as what it holds: its text, its elements.
                if (r === 'none' || r === 'presentation' || r === 'paragraph') return null;
                return r || implicitRole(el);
        };
        // The text of a node for a name: form controls inside it count by their value, hidden parts not at all.
        const textOf = (node, depth) => {
                if (depth > 20) return '';
                if (node.nodeType === 3) return node.data;
                if (node.nodeType !== 1 || SKIP.has(node.tagName)) return '';
                if (node.getAttribute('aria-hidden') === 'true' || node.hidden) return '';
                if (node.localName === 'input' || node.localName === 'select' || node.localName === 'textarea') return '';
                if (node.localName === 'img') return node.getAttribute('alt') || '';
                const label = node.getAttribute('aria-label');
                if (label && depth > 0) return label;
                let s = '';
                for (const c of node.childNodes) s += textOf(c, depth + 1);
                return ' ' + s + ' ';
        };
        const byIds = (el, attr) => norm((el.getAttribute(attr) || '').split(/\s+/).map((id) => {
                const e = id && el.ownerDocument.getElementById(id);
                return e ? textOf(e, 0) : '';
        }).join(' '));
        const nameOf = (el, role) => {
                let n = byIds(el, 'aria-labelledby');
                if (n) return n;
                n = norm(el.getAttribute('aria-label'));
                if (n) return n;
                const tag = el.localName;
                if (tag === 'input' && ['button', 'submit', 'reset'].includes(el.type))
                        return el.value || (el.type === 'submit' ? 'Submit' : el.type === 'reset' ? 'Reset' : '');
                if (tag === 'input' && el.type === 'file') return 'Choose File';
                if (el.labels && el.labels.length)
                        return norm([...el.labels].map((l) => textOf(l, 0)).join(' '));
                if (tag === 'img' || (tag === 'input' && el.type === 'image')) return norm(el.getAttribute('alt') || el.title);
                if (tag === 'fieldset') {
                        const l = el.querySelector(':scope > legend');
                        if (l) return norm(textOf(l, 0));
                }
                if (tag === 'table') {
                        const c = el.querySelector(':scope > caption');
                        if (c) return norm(textOf(c, 0));
                }
                if (tag === 'iframe') return norm(el.title);
                if (FROM_CONTENT.has(role)) return norm(textOf(el, 0));
                return norm(el.title || el.getAttribute('placeholder') || '');
        };
        const visible = (el) => {
                if (el.hidden || el.getAttribute('aria-hidden') === 'true') return false;
                if (el.localName === 'option' || el.localName === 'optgroup') return true;
                if (typeof el.checkVisibility !== 'function' || el.checkVisibility({ visibilityProperty: true })) return true;
                return getComputedStyle(el).display === 'contents';
        };
        const flagsOf = (el, role) => {
                const f = [];
                const a = (k) => el.getAttribute(k);
                if (role === 'checkbox' || role === 'radio' || role === 'switch' || role === 'menuitemcheckbox' ||
                    role === 'menuitemradio') {
                        if (el.indeterminate || a('aria-checked') === 'mixed') f.push('checked=mixed');
                        else if (el.checked || a('aria-checked') === 'true') f.push('checked');
                }
                if (el.disabled || a('aria-disabled') === 'true') f.push('disabled');
                if (a('aria-expanded') === 'true' || (el.localName === 'details' && el.open)) f.push('expanded');
                if ((role === 'option' && el.selected) || a('aria-selected') === 'true') f.push('selected');
                if (a('aria-pressed') === 'true') f.push('pressed');
                if (role === 'heading') {
                        const l = parseInt(a('aria-level') || el.localName.slice(1), 10);
                        if (l > 0) f.push('level=' + l);
                }
                return f.join(' ');
        };
        const valueOf = (el, role) => {
                if (role === 'textbox' || role === 'searchbox' || role === 'spinbutton' || role === 'slider') {
                        if (el.type === 'password') return el.value ? '(' + el.value.length + ' characters hidden)' : '';
                        if ('value' in el) return el.value;
                        if (el.isContentEditable) return norm(el.textContent);
                }
                if (role === 'combobox' && el.localName !== 'select' && 'value' in el) return el.value;
                return '';
        };

        const max = options.max || 20000, maxDepth = options.depth || 40, textMax = options.text || 200;
        const items = [], els = [], seen = new WeakSet(), frames = [];
        let used = 0, full = false, visited = 0, visitedActionable = 0;
        let pendingText = null; // [depth, text]
        // About what an item's line costs (snapshot.c writes it): the budget stops the walk a little past it.
        const cost = (item) => 2 * item[0] + 5 + (item[1] === 'text' ? 0 : item[1].length) + item[2].length +
                (item[3] ? 8 + item[3].length : 0) + item[4].length + item[5].length;
        const push = (item, el) => {
                items.push(item);
                els.push(el);
                used += cost(item);
                if (used > max * 1.2) full = true;
        };
        const flush = () => {
                if (!pendingText) return;
                const t = norm(pendingText[1]);
                if (t) push([pendingText[0], 'text', clip(t, textMax), '', '', t.length > textMax ? 'cut' : '', 0], null);
                pendingText = null;
        };
        let muted = 0; // inside a label of a control: its text is the control's name already
        const addText = (depth, s) => {
                if (muted) return;
                if (pendingText && pendingText[0] !== depth) flush();
                if (!pendingText) pendingText = [depth, ''];
                pendingText[1] += s;
        };
        const childrenOf = (node) => {
                if (node.shadowRoot) return node.shadowRoot.childNodes;
                if (node.localName === 'slot') {
                        const a = node.assignedNodes({ flatten: true });
                        return a.length ? a : node.childNodes;
                }
                if (node.localName === 'iframe') {
                        try {
                                const d = node.contentDocument;
                                return d && d.body ? [d.body] : [];
                        } catch (e) {
                                return [];
                        }
                }
                return node.childNodes;
        };
        const walkChildren = (node, depth, parentName) => {
                for (const c of childrenOf(node)) {
                        if (full) return;
                        walk(c, depth, parentName);
                }
        };
        const walk = (node, depth, parentName) => {
                if (full) return;
                if (node.nodeType === 3) {
                        addText(depth, node.data);
                        return;
                }
                if (node.nodeType !== 1 || SKIP.has(node.tagName) || !visible(node)) return;
                visited++;
                const role = roleOf(node);
                if (!role) {
                        // A wrapper: what it holds moves up. A block ends the running text.
                        if (node.localName === 'br') addText(depth, ' ');
                        const label = node.localName === 'label' && node.control;
                        const block = BLOCKS.has(node.localName);
                        if (block) flush();
                        if (label) muted++;
                        walkChildren(node, depth, parentName);
                        if (label) muted--;
                        if (block) flush();
                        return;
                }
                flush();
                const name = clip(nameOf(node, role), 300);
                // Options of a select are chosen with browser_select_option by label: no refs of their own.
                const actionable = (ACTIONABLE.has(role) || node.matches(INTERACTIVE)) &&
                        !(role === 'option' && node.closest('select'));
                if (actionable) {
                        visitedActionable++;
                        seen.add(node);
                }
                const ref = actionable ? refOf(node) : '';
                const item = [depth, role, name, ref, clip(valueOf(node, role), 300), flagsOf(node, role), 0];
                let foreign = false;
                if (role === 'iframe') {
                        let inside = null;
                        try { inside = node.contentDocument; } catch (e) { inside = null; }
                        // Another origin's frame runs in another process: the server reads it there, finding it
                        // by its ref (which it drops once the frame's content is in place).
                        if (!inside) {
                                item[3] = refOf(node);
                                item[4] = '(another origin: its content could not be read)';
                                foreign = true;
                        }
                }
                push(item, node);
                if (foreign) frames.push([item, item[3]]);
                const index = items.length - 1;
                // Names taken from the content say it all, unless something to act on is inside.
                if (FROM_CONTENT.has(role) && name && !node.querySelector(INTERACTIVE) && node.localName !== 'select')
                        return;
                if (role === 'textbox' || role === 'searchbox' || role === 'img' || role === 'separator' ||
                    role === 'progressbar' || role === 'slider' || role === 'spinbutton')
                        return;
                if (depth + 1 > maxDepth) {
                        const n = node.getElementsByTagName('*').length;
                        if (n > 0) {
                                item[6] = n;
                                item[3] = item[3] || refOf(node);
                        } else if (!item[4])
                                item[4] = clip(norm(textOf(node, 0)), 300);
                        return;
                }
                walkChildren(node, depth + 1, name);
                flush();
                // A text that only says the name again (a table's caption, a group's legend) is left out.
                if (name && items.length > index + 1 && items[index + 1][1] === 'text' && items[index + 1][2] === name) {
                        items.splice(index + 1, 1);
                        els.splice(index + 1, 1);
                }
                // A list item that only holds one line (a link, a field, a run of text) is that line: it takes
                // its place.
                if (role === 'listitem' && !name && !item[4] && !item[3] && items.length > index + 1 &&
                    items.slice(index + 2).every((x) => x[0] > depth + 1)) {
                        used -= cost(item);
                        items.splice(index, 1);
                        els.splice(index, 1);
                        for (let i = index; i < items.length; i++) items[i][0]--;
                }
                // One line of text below: it goes on the node's own line.
                else if (items.length === index + 2 && items[index + 1][1] === 'text' && !item[4]) {
                        item[4] = items[index + 1][2];
                        items.pop();
                        els.pop();
                }
                // A row of plain cells (nothing to act on, nothing under them) is one line: the cells between |.
                else if (role === 'row' && !item[3] && !item[4] && items.length > index + 1 &&
                         items.slice(index + 1).every((x) => x[0] === depth + 1 && CELLS.has(x[1]) && !x[3] && !x[4] &&
                                                         !x[6])) {
                        item[4] = clip(items.slice(index + 1).map((x) => x[2]).join(' | '), 500);
                        items.length = index + 1;
                        els.length = index + 1;
                }
        };

        let root = document.body || document.documentElement;
        if (options.ref) {
                root = state.get(options.ref);
                if (!root) return { missing: true };
        }
        if (options.ref) {
                walk(root, 0, '');
                if (items.length && !items[0][3]) items[0][3] = refOf(root);
        } else if (root)
                walkChildren(root, 0, '');
        flush();
        // The last element collected when the budget ran out may lack what was below it: not shown half.
        if (full && items.length > 1 && items[items.length - 1][1] !== 'text' && !items[items.length - 1][4]) {
                items.pop();
                els.pop();
        }
        let more = 0, moreRefs = 0, resume = '';
        const tail = [];
        if (full && root) {
                // What one can act on past the budget keeps a ref all the same: the first of them, on a line each.
                for (const el of root.querySelectorAll(INTERACTIVE)) {
                        if (tail.length >= (options.tail || 100)) break;
                        if (seen.has(el) || !visible(el)) continue;
                        const role = roleOf(el) || 'generic';
                        tail.push([0, role, clip(nameOf(el, role), 100), refOf(el), clip(valueOf(el, role), 100),
                                flagsOf(el, role), 0]);
                }
                more = Math.max(0, root.getElementsByTagName('*').length - visited);
                moreRefs = Math.max(0, root.querySelectorAll(INTERACTIVE).length - visitedActionable);
                // Where to go on from: the last container shown at the top levels.
                for (let i = items.length - 1; i >= 0; i--)
                        if (items[i][0] === 0 && els[i]) {
                                resume = items[i][3] = items[i][3] || refOf(els[i]);
                                break;
                        }
        }
        // The frames of other origins by their place among the items (which moved as lines were joined).
        const framesAt = frames.map(([it, r]) => [items.indexOf(it), r]).filter(([i]) => i >= 0);
        return { title: document.title, url: location.href, items, more, moreRefs, resume, tail, frames: framesAt,
                textMax };
})
