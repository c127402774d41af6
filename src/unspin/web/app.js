/* unspin web page: paste or upload, trace, show the swapped words beside the source.
 *
 * Plain JavaScript, no dependencies, nothing loaded from outside. All text from the user
 * or the server goes into the page through textContent / createTextNode, never as HTML.
 * Offsets from the server count Unicode code points, so texts are sliced as arrays of
 * code points (Array.from), not as JavaScript (UTF-16) strings.
 */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  const codePoints = (s) => Array.from(s || "");
  const slice = (cps, a, b) => cps.slice(a, b).join("");
  const pct = (x) => `${Math.round(100 * x)}%`;
  const REASONS = {
    "glued-headline": "glued headline",
    "repeated-headline": "repeated headline",
    "ad-marker": "ad marker",
    "share-bar": "share bar",
  };
  const VERDICTS = {
    copy: "Copy",
    "no-source": "No source found",
    "not-english": "Not English",
  };

  const state = { report: null, sourceId: null, links: new Map(), features: {} };

  // -- talking to the server ---------------------------------------------------------

  async function request(url, options) {
    let response;
    try {
      response = await fetch(url, options);
    } catch (e) {
      throw new Error("The server cannot be reached. Is `unspin serve` still running?");
    }
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
    if (!response.ok) {
      const message = data && data.error && data.error.message;
      throw new Error(message || `The server answered with status ${response.status}.`);
    }
    return data;
  }

  function traceText(text) {
    return request("/trace?view=true", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: text }),
    });
  }

  let checking = null; // the AbortController of a running /check

  function checkText(text, report) {
    if (checking) checking.abort();
    checking = new AbortController();
    const view = report.view || {};
    const doc = view.document || {};
    const body = { text: text, id: report.id };
    if (doc.title) body.title = doc.title;
    return request("/check", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal: checking.signal,
    });
  }

  function traceFile(file) {
    const form = new FormData();
    form.append("file", file, file.name);
    return request("/trace/html?view=true", { method: "POST", body: form });
  }

  // -- input ---------------------------------------------------------------------------

  function setBusy(busy, label) {
    const button = $("run");
    button.disabled = busy;
    button.textContent = busy ? "Tracing…" : "Trace to source";
    $("file").disabled = busy || state.features.trace_html === false;
    document.body.setAttribute("aria-busy", busy ? "true" : "false");
    if (busy) setStatus(label);
  }

  function setStatus(text) {
    $("status").textContent = text || "";
  }

  function showError(message) {
    const box = $("error");
    box.textContent = message;
    box.hidden = false;
  }

  function hideError() {
    $("error").hidden = true;
    $("error").textContent = "";
  }

  async function run(label, call) {
    if (checking) checking.abort();
    hideError();
    setBusy(true, label);
    const t0 = performance.now();
    try {
      const report = await call();
      render(report);
      const secs = ((performance.now() - t0) / 1000).toFixed(2);
      setStatus(`Traced in ${secs} s.`);
      if (state.features.check && report.verdict === "no-source") runCheck();
    } catch (e) {
      setStatus("");
      showError(e.message);
    } finally {
      setBusy(false);
    }
  }

  function submitText() {
    const text = $("text").value;
    if (!text.trim()) {
      showError("Paste the text of an article first, or upload a saved page.");
      $("text").focus();
      return;
    }
    run("Tracing the text…", () => traceText(text));
  }

  function submitFile(file) {
    if (!file) return;
    run(`Reading ${file.name}…`, () => traceFile(file));
  }

  // -- rendering -----------------------------------------------------------------------

  /* Fill `parent` with cps[from:to], wrapping the given items (sorted, {start, end,
   * build}) in the elements their build() returns: {node, content, after}. Items that
   * overlap an earlier one are left out. */
  function fill(parent, cps, from, to, items) {
    let pos = from;
    for (const it of items) {
      if (it.start < pos || it.end > to || it.start >= it.end) continue;
      if (it.start > pos) parent.appendChild(document.createTextNode(slice(cps, pos, it.start)));
      const built = it.build();
      fill(built.content || built.node, cps, it.start, it.end, it.children || []);
      parent.appendChild(built.node);
      for (const extra of built.after || []) parent.appendChild(extra);
      pos = it.end;
    }
    if (pos < to) parent.appendChild(document.createTextNode(slice(cps, pos, to)));
  }

  const byStart = (a, b) => a.start - b.start || b.end - a.end;

  function flagsOf(report) {
    const score = {};
    for (const s of report.sources || []) score[s.id] = s.score;
    const flags = (report.substitutions || []).map((s) => ({
      start: s.start,
      end: s.end,
      text: s.text,
      original: s.original,
      origin: "source",
      sourceId: s.source_id,
      confidence: s.source_id in score ? score[s.source_id] : null,
    }));
    return flags.sort(byStart);
  }

  /* Words the language model flagged (POST /check): those without a source. */
  function modelFlags(check) {
    return (check.substitutions || [])
      .filter((s) => s.source_id === null || s.source_id === undefined)
      .map((s) => ({
        start: s.start,
        end: s.end,
        text: s.text,
        original: s.original,
        origin: "model",
        sourceId: null,
        confidence: s.confidence !== undefined ? s.confidence : null,
        alternatives: s.alternatives || [],
      }));
  }

  function markFor(f) {
    const cls = ["sub"];
    if (f.origin === "model") cls.push("model");
    if (!f.original) cls.push("inserted");
    const mark = el("mark", cls.join(" "));
    mark.tabIndex = 0;
    mark.dataset.original = f.original;
    mark.dataset.origin = f.origin;
    if (f.sourceId) mark.dataset.source = f.sourceId;
    if (f.confidence !== null && f.confidence !== undefined) {
      mark.dataset.confidence = String(f.confidence);
    }
    if (f.alternatives && f.alternatives.length) mark.dataset.alternatives = f.alternatives.join("|");
    const after = [el("span", "orig", f.original || "(added)")];
    return { node: mark, after: after };
  }

  function groupSpans(entries, startKey, endKey) {
    const groups = new Map();
    for (const e of entries) {
      const key = `${e[startKey]}:${e[endKey]}`;
      if (!groups.has(key)) {
        groups.set(key, { start: e[startKey], end: e[endKey], pairs: [], sources: [] });
      }
      const g = groups.get(key);
      g.pairs.push(e.idx);
      if (!g.sources.includes(e.source_id)) g.sources.push(e.source_id);
    }
    return Array.from(groups.values()).sort(byStart);
  }

  function sentenceNode(group, side) {
    const span = el("span", "sent");
    span.dataset.pairs = group.pairs.join(" ");
    span.dataset.side = side;
    if (side === "copy") span.dataset.source = group.sources[0];
    for (const p of group.pairs) {
      if (!state.links.has(p)) state.links.set(p, []);
      state.links.get(p).push(span);
    }
    return span;
  }

  function renderCopy(report, text, aligned, flags) {
    const box = $("copy");
    box.replaceChildren();
    box.classList.remove("empty");
    const cps = codePoints(text);
    const sentences = groupSpans(aligned, "start", "end");
    const inside = new Set();
    const items = sentences.map((g) => {
      const children = flags.filter((f) => f.start >= g.start && f.end <= g.end);
      children.forEach((f) => inside.add(f));
      return {
        start: g.start,
        end: g.end,
        children: children.map((f) => ({ start: f.start, end: f.end, build: () => markFor(f) })),
        build: () => ({ node: sentenceNode(g, "copy") }),
      };
    });
    for (const f of flags) {
      if (!inside.has(f)) items.push({ start: f.start, end: f.end, build: () => markFor(f) });
    }
    for (const s of report.stray || []) {
      items.push({
        start: s.start,
        end: s.end,
        build: () => {
          const node = el("del", "stray");
          const reason = REASONS[s.reason] || s.reason;
          node.dataset.reason = s.reason;
          node.title = `Stray line (${reason}): not part of the article`;
          return { node: node, after: [el("span", "stray-tag", reason)] };
        },
      });
    }
    items.sort(byStart);
    fill(box, cps, 0, cps.length, items);
  }

  const NOT_WORD = "(?<![\\p{L}\\p{N}])";
  const NOT_WORD_AFTER = "(?![\\p{L}\\p{N}])";
  const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

  /* Where each substituted span's original wording sits in the linked source sentence:
   * searched in order, as whole words, after the previous one found. */
  function originalsIn(sourceCps, pair, flags) {
    const sentence = slice(sourceCps, pair.source_start, pair.source_end);
    const found = [];
    let cursor = 0;
    for (const f of flags) {
      if (!f.original || f.origin !== "source" || f.start < pair.start || f.end > pair.end) continue;
      let re;
      try {
        re = new RegExp(NOT_WORD + escapeRe(f.original) + NOT_WORD_AFTER, "gu");
      } catch (e) {
        continue;
      }
      re.lastIndex = cursor;
      const m = re.exec(sentence);
      if (!m) continue;
      const a = pair.source_start + codePoints(sentence.slice(0, m.index)).length;
      const b = a + codePoints(m[0]).length;
      found.push({ start: a, end: b, flag: f });
      cursor = m.index + m[0].length;
    }
    return found;
  }

  function renderSource(report, aligned, flags) {
    const id = state.sourceId;
    const box = $("source");
    const meta = $("source-meta");
    box.replaceChildren();
    meta.replaceChildren();
    const view = report.view || {};
    const source = id && view.sources ? view.sources[id] : null;
    if (!source) {
      box.classList.add("empty");
      box.textContent =
        report.verdict === "not-english"
          ? `The text is not in English (language: ${report.language}); it was not traced.`
          : "No source found in the archive: no archived article shares enough of this text, word for word and in order.";
      $("source-title").textContent = "Source";
      return;
    }
    box.classList.remove("empty");
    const info = (report.sources || []).find((s) => s.id === id) || {};
    $("source-title").textContent = "Source";
    meta.append(el("code", "", id));
    if (source.title) meta.append(" · ", el("span", "", source.title));
    if (source.url && /^https?:\/\//i.test(source.url)) {
      const a = el("a", "", "open");
      a.href = source.url;
      a.rel = "noopener noreferrer";
      a.target = "_blank";
      meta.append(" · ", a);
    }
    if (info.score !== undefined) meta.append(` · score ${info.score.toFixed(2)}`);

    const cps = codePoints(source.text);
    const mine = aligned.filter((a) => a.source_id === id);
    const originals = [];
    for (const pair of mine) originals.push(...originalsIn(cps, pair, flags));
    originals.sort(byStart);
    const items = groupSpans(mine, "source_start", "source_end").map((g) => ({
      start: g.start,
      end: g.end,
      children: originals
        .filter((o) => o.start >= g.start && o.end <= g.end)
        .map((o) => ({
          start: o.start,
          end: o.end,
          build: () => {
            const m = el("mark", "orig-word");
            m.title = `replaced by “${o.flag.text}” in the copy`;
            return { node: m };
          },
        })),
      build: () => ({ node: sentenceNode(g, "source") }),
    }));
    fill(box, cps, 0, cps.length, items);
  }

  function renderSummary(report, flags) {
    const verdict = $("verdict");
    verdict.className = `badge ${report.verdict}`;
    verdict.textContent = VERDICTS[report.verdict] || report.verdict;
    const score = $("score");
    score.replaceChildren();
    const best = (report.sources || [])[0];
    if (best) {
      score.append(`${pct(best.score)} `);
      score.append(el("small", "", `of the words are ${best.id}'s, in its order (score ${best.score.toFixed(2)})`));
    }
    $("doc-id").textContent = report.id ? `id: ${report.id}` : "";

    const facts = $("facts");
    facts.replaceChildren();
    const fact = (n, label) => {
      const li = el("li");
      li.append(el("b", "", n), ` ${label}`);
      facts.append(li);
    };
    const nSource = flags.filter((f) => f.origin === "source").length;
    const nModel = flags.length - nSource;
    if (nSource || !nModel) fact(nSource, nSource === 1 ? "swapped span" : "swapped spans");
    if (nModel) fact(nModel, nModel === 1 ? "word flagged by the model" : "words flagged by the model");
    const nStray = (report.stray || []).length;
    fact(nStray, nStray === 1 ? "stray line" : "stray lines");
    if (best) fact(pct(best.coverage), "of the text aligned to the source");
    if (best) fact(pct(best.reused), "of the source reused");
    for (const [k, v] of Object.entries(report.evasions || {})) {
      if (v) fact(v, `${k.replace(/_/g, " ")} folded`);
    }
    if (report.language && report.language !== "en") fact(report.language, "language");

    const table = $("sources");
    const body = table.querySelector("tbody");
    body.replaceChildren();
    for (const s of report.sources || []) {
      const tr = el("tr");
      const idCell = el("td");
      idCell.append(el("code", "", s.id));
      const titleCell = el("td");
      if (s.url && /^https?:\/\//i.test(s.url)) {
        const a = el("a", "", s.title || s.url);
        a.href = s.url;
        a.rel = "noopener noreferrer";
        a.target = "_blank";
        titleCell.append(a);
      } else {
        titleCell.textContent = s.title || "";
      }
      tr.append(idCell, titleCell);
      for (const x of [s.score.toFixed(2), pct(s.coverage), pct(s.reused)]) tr.append(el("td", "num", x));
      body.append(tr);
    }
    table.hidden = !(report.sources || []).length;
  }

  function renderSourcePicker(report) {
    const sources = report.sources || [];
    const pick = $("source-pick");
    const select = $("source-select");
    select.replaceChildren();
    for (const s of sources) {
      const option = el("option", "", `${s.id} (${s.score.toFixed(2)})`);
      option.value = s.id;
      select.append(option);
    }
    pick.hidden = sources.length < 2;
    select.value = state.sourceId || "";
  }

  function render(report) {
    hideTip(true);
    state.report = report;
    state.links = new Map();
    const view = report.view || {};
    const text = view.text !== undefined ? view.text : $("text").value;
    const aligned = (view.aligned || []).map((a, i) => Object.assign({ idx: i }, a));
    const flags = flagsOf(report);
    state.sourceId = (report.sources || []).length ? report.sources[0].id : null;
    state.aligned = aligned;
    state.flags = flags;
    state.text = text;
    state.check = null;
    renderSummary(report, flags);
    renderCheckBar(report);
    renderCopy(report, text, aligned, flags);
    renderSourcePicker(report);
    renderSource(report, aligned, flags);
    $("restored").textContent = report.restored || "";
    $("restored-legend").textContent = "Every swapped word put back and stray lines removed.";
    $("spin").hidden = true;
    $("result").hidden = false;
    if (view.document && view.document.title && !$("text").value.trim()) {
      $("doc-id").textContent = `id: ${report.id} · ${view.document.title}`;
    }
  }

  // -- the language model (POST /check) ------------------------------------------------

  function renderCheckBar(report) {
    const bar = $("check-bar");
    const button = $("run-check");
    const note = $("check-note");
    const can = state.features.check && report.verdict !== "not-english";
    bar.hidden = !can;
    button.hidden = false;
    button.disabled = false;
    note.textContent =
      report.verdict === "copy"
        ? "The source explains the swapped words. The language model can also look for words the source does not cover."
        : "No source: the language model can still flag words that read wrong and suggest what they were.";
  }

  async function runCheck() {
    const report = state.report;
    if (!report) return;
    const button = $("run-check");
    button.disabled = true;
    $("check-note").textContent = "Checking every word with the language model… this can take a minute.";
    try {
      const check = await checkText(state.text, report);
      if (state.report !== report) return; // a newer result is shown
      applyCheck(check);
      button.hidden = true;
    } catch (e) {
      if (e.name === "AbortError" || state.report !== report) return;
      $("check-note").textContent = `Language model check: ${e.message}`;
      button.disabled = false;
    } finally {
      checking = null;
    }
  }

  function applyCheck(check) {
    state.check = check;
    const extra = modelFlags(check);
    const flags = state.flags.filter((f) => f.origin !== "model").concat(extra).sort(byStart);
    state.flags = flags;
    renderCopy(state.report, state.text, state.aligned, flags);
    renderSummary(state.report, flags);
    const n = extra.length;
    const verdict = check.verdict === "spun" ? "reads as spun" : "reads as clean";
    $("check-note").textContent =
      `Language model: the text ${verdict} (spin score ${Number(check.spin_score).toFixed(2)}); ` +
      `${n} more ${n === 1 ? "word" : "words"} flagged, marked in amber.`;
    const spin = $("spin");
    spin.hidden = false;
    spin.className = `badge ${check.verdict === "spun" ? "spun" : "clean"}`;
    spin.textContent = `${check.verdict} ${pct(check.spin_score)}`;
    spin.title = "Spin score from the language model";
    if (check.restored) {
      $("restored").textContent = check.restored;
      $("restored-legend").textContent =
        "Every swapped word put back (the source's wording, else the model's best guess) and stray lines removed.";
    }
  }

  function showSource(id) {
    if (!state.report || id === state.sourceId) return;
    state.sourceId = id;
    // Links of the source pane are rebuilt; those of the copy stay.
    for (const [k, nodes] of state.links) {
      state.links.set(k, nodes.filter((n) => n.dataset.side === "copy"));
    }
    $("source-select").value = id;
    renderSource(state.report, state.aligned, state.flags);
  }

  // -- linked sentences ----------------------------------------------------------------

  let linked = [];

  function linkFrom(sentence) {
    unlink();
    for (const p of sentence.dataset.pairs.split(" ")) {
      for (const node of state.links.get(Number(p)) || []) {
        node.classList.add("linked");
        linked.push(node);
      }
    }
  }

  function unlink() {
    for (const node of linked) node.classList.remove("linked");
    linked = [];
  }

  // -- tooltip -------------------------------------------------------------------------

  const tip = $("tip");
  let shownFor = null;
  let pinned = false;

  function showTip(mark) {
    if (shownFor && shownFor !== mark) shownFor.classList.remove("active");
    shownFor = mark;
    mark.classList.add("active");
    const original = mark.dataset.original;
    const origin = mark.dataset.origin;
    tip.replaceChildren();
    tip.append(el("div", "tip-label", original ? "Original wording" : "Added words"));
    tip.append(el("div", "tip-orig", original || "(nothing: not in the source)"));
    const spun = el("div", "tip-row", "Spun: ");
    spun.append(el("b", "", mark.textContent));
    tip.append(spun);
    const from = el("div", "tip-row");
    if (origin === "model") {
      from.append("From ", el("b", "", "the language model"), " (no source)");
    } else {
      from.append("From source ", el("b", "", mark.dataset.source || "?"));
    }
    tip.append(from);
    if (mark.dataset.confidence !== undefined) {
      const conf = el("div", "tip-row", "Confidence ");
      conf.append(el("b", "", pct(Number(mark.dataset.confidence))));
      conf.append(origin === "model" ? " (the model's probability)" : " (the source's alignment score)");
      tip.append(conf);
    }
    if (mark.dataset.alternatives) {
      tip.append(el("div", "tip-row", `Other candidates: ${mark.dataset.alternatives.split("|").join(", ")}`));
    }
    tip.append(el("div", "tip-hint", pinned ? "Esc or click elsewhere to close" : "Click to pin"));
    tip.hidden = false;
    mark.setAttribute("aria-describedby", "tip");
    placeTip(mark);
  }

  function placeTip(mark) {
    const r = mark.getBoundingClientRect();
    const w = tip.offsetWidth;
    const h = tip.offsetHeight;
    let left = r.left + window.scrollX;
    left = Math.max(window.scrollX + 8, Math.min(left, window.scrollX + document.documentElement.clientWidth - w - 8));
    let top = r.bottom + window.scrollY + 6;
    if (r.bottom + h + 12 > window.innerHeight && r.top - h - 6 > 0) top = r.top + window.scrollY - h - 6;
    tip.style.left = `${left}px`;
    tip.style.top = `${top}px`;
  }

  function hideTip(force) {
    if (pinned && !force) return;
    pinned = false;
    tip.hidden = true;
    if (shownFor) {
      shownFor.classList.remove("active");
      shownFor.removeAttribute("aria-describedby");
    }
    shownFor = null;
  }

  // -- events --------------------------------------------------------------------------

  function wire() {
    $("form").addEventListener("submit", (e) => {
      e.preventDefault();
      submitText();
    });
    $("text").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        submitText();
      }
    });
    $("file").addEventListener("change", (e) => {
      const file = e.target.files && e.target.files[0];
      submitFile(file);
      e.target.value = "";
    });
    const area = $("text");
    area.addEventListener("dragover", (e) => {
      if (e.dataTransfer && Array.from(e.dataTransfer.types || []).includes("Files")) {
        e.preventDefault();
        area.classList.add("dragging");
      }
    });
    area.addEventListener("dragleave", () => area.classList.remove("dragging"));
    area.addEventListener("drop", (e) => {
      area.classList.remove("dragging");
      const file = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
      if (file) {
        e.preventDefault();
        submitFile(file);
      }
    });
    $("inline-originals").addEventListener("change", (e) => {
      $("copy").classList.toggle("hide-originals", !e.target.checked);
    });
    $("source-select").addEventListener("change", (e) => showSource(e.target.value));
    $("run-check").addEventListener("click", () => runCheck());
    $("copy-restored").addEventListener("click", async () => {
      const text = $("restored").textContent;
      try {
        await navigator.clipboard.writeText(text);
        setStatus("Restored text copied.");
      } catch (e) {
        const range = document.createRange();
        range.selectNodeContents($("restored"));
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        setStatus("Restored text selected: press Ctrl+C to copy.");
      }
    });

    const result = $("result");
    result.addEventListener("mouseover", (e) => {
      const mark = e.target.closest("mark.sub");
      if (mark && !pinned) showTip(mark);
      const sentence = e.target.closest(".sent[data-pairs]");
      if (sentence) linkFrom(sentence);
    });
    result.addEventListener("mouseout", (e) => {
      const mark = e.target.closest("mark.sub");
      if (mark && !mark.contains(e.relatedTarget) && !pinned) hideTip();
      const sentence = e.target.closest(".sent[data-pairs]");
      if (sentence && !sentence.contains(e.relatedTarget)) unlink();
    });
    result.addEventListener("focusin", (e) => {
      const mark = e.target.closest("mark.sub");
      if (mark && !pinned) showTip(mark);
      const sentence = e.target.closest(".sent[data-pairs]");
      if (sentence) linkFrom(sentence);
    });
    result.addEventListener("focusout", (e) => {
      if (e.target.closest("mark.sub") && !pinned) hideTip();
      unlink();
    });
    document.addEventListener("click", (e) => {
      const mark = e.target.closest("mark.sub");
      if (mark) {
        pinned = !(pinned && shownFor === mark);
        if (pinned) showTip(mark);
        else hideTip(true);
        return;
      }
      if (!e.target.closest("#tip")) hideTip(true);
      const sentence = e.target.closest(".sent[data-pairs]");
      if (sentence && sentence.dataset.side === "copy") {
        if (sentence.dataset.source && sentence.dataset.source !== state.sourceId) {
          showSource(sentence.dataset.source);
        }
        linkFrom(sentence);
        const p = Number(sentence.dataset.pairs.split(" ")[0]);
        const target = (state.links.get(p) || []).find((n) => n.dataset.side === "source");
        if (target) target.scrollIntoView({ block: "nearest", behavior: "smooth" });
      }
    });
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        hideTip(true);
        return;
      }
      const mark = e.target.closest && e.target.closest("mark.sub");
      if (mark && (e.key === "Enter" || e.key === " ")) {
        e.preventDefault();
        pinned = !(pinned && shownFor === mark);
        if (pinned) showTip(mark);
        else hideTip(true);
      }
    });
    window.addEventListener("resize", () => {
      if (shownFor && !tip.hidden) placeTip(shownFor);
    });

    request("/version")
      .then((v) => {
        state.features = v.features || {};
        $("version").textContent = `v${v.version}`;
        if (!state.features.trace) {
          showError("This server has no archive to trace against: start it with `unspin serve --archive ARCHIVE`.");
        }
        if (state.features.trace_html === false) $("file").disabled = true;
      })
      .catch(() => {});
  }

  wire();
})();
