// The Verify page: checks a receipt against the count's signed log in this browser, with WebCrypto.
// RFC 9162 inclusion proof verification (section 2.1.3.2) and the Ed25519 head signature.
(function () {
  "use strict";
  var form = document.getElementById("verify-form");
  if (!form || !window.crypto || !window.crypto.subtle || !window.fetch) return;
  var out = document.getElementById("verify-result");
  var msgs = {};
  document.querySelectorAll("#verify-messages [data-key]").forEach(function (el) {
    msgs[el.getAttribute("data-key")] = el.textContent;
  });
  var enc = new TextEncoder();
  function say(text, state) {
    var li = document.createElement("li");
    li.textContent = text;
    li.className = "verify-" + state;
    li.setAttribute("data-state", state);
    out.appendChild(li);
  }
  function fill(key, values) {
    return (msgs[key] || key).replace(/\{(\w+)\}/g, function (_m, name) { return String(values[name]); });
  }
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
  }
  function unhex(text) {
    var bytes = new Uint8Array(text.length / 2);
    for (var i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.substr(i * 2, 2), 16);
    return bytes;
  }
  function unb64(text) {
    var raw = atob(text), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }
  function concat(prefix, a, b) {
    var out = new Uint8Array(1 + a.length + (b ? b.length : 0));
    out[0] = prefix; out.set(a, 1); if (b) out.set(b, 1 + a.length);
    return out;
  }
  function sha256(bytes) {
    return crypto.subtle.digest("SHA-256", bytes).then(function (d) { return new Uint8Array(d); });
  }
  function getJSON(url) {
    return fetch(url, { credentials: "omit" }).then(function (r) {
      if (!r.ok) throw new Error(url + ": " + r.status);
      return r.json();
    });
  }
  // RFC 9162 2.1.3.2, with Number arithmetic (exact below 2^53).
  async function verifyInclusion(index, size, leaf, path, root) {
    if (index >= size) return false;
    var fn = index, sn = size - 1, r = leaf;
    for (var i = 0; i < path.length; i++) {
      var p = unhex(path[i]);
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        r = await sha256(concat(1, p, r));
        if (fn % 2 === 0) {
          while (fn !== 0 && fn % 2 === 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        r = await sha256(concat(1, r, p));
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 && hex(r) === root;
  }
  async function checkSignature(head, keys) {
    var raw = keys.key_id === head.key_id ? keys.public_key : null;
    (keys.keys || []).forEach(function (k) { if (k.key_id === head.key_id) raw = k.public_key; });
    if (!raw) return say(fill("no_key", head), "fail");
    var message = "quitgpt-log-v1\n" + head.tree_size + "\n" + head.root_hash + "\n" + head.counted + "\n" + head.timestamp + "\n";
    var key;
    try {
      key = await crypto.subtle.importKey("raw", unb64(raw), { name: "Ed25519" }, false, ["verify"]);
    } catch (e) {
      return say(msgs.no_ed25519, "note");
    }
    var good = await crypto.subtle.verify({ name: "Ed25519" }, key, unb64(head.signature), enc.encode(message));
    say(fill(good ? "sig_ok" : "sig_fail", head), good ? "ok" : "fail");
  }
  async function run(secret) {
    out.innerHTML = "";
    var commitment = hex(await sha256(enc.encode("quitgpt-receipt-v1:" + secret)));
    say(fill("commitment", { commitment: commitment }), "info");
    var head = await getJSON("/api/log/head");
    var keys = await getJSON("/api/log/key");
    await checkSignature(head, keys);
    var found = (await getJSON("/api/log/entries?commitment=" + commitment)).entries
      .filter(function (e) { return e.index < head.tree_size; });
    if (!found.length) return say(msgs.not_found, "fail");
    var last = found[found.length - 1];
    var leaf = last.leaf;
    var canonical = JSON.stringify({ commitment: leaf.commitment, day: leaf.day, delta: leaf.delta, kinds: leaf.kinds });
    var leafHash = await sha256(concat(0, enc.encode(canonical)));
    if (hex(leafHash) !== last.leaf_hash || leaf.commitment !== commitment) return say(msgs.leaf_fail, "fail");
    var proof = await getJSON("/api/log/proof?index=" + last.index + "&tree_size=" + head.tree_size);
    var included = await verifyInclusion(last.index, head.tree_size, leafHash, proof.audit_path, head.root_hash);
    say(fill(included ? "included" : "not_included", { index: last.index, tree_size: head.tree_size }), included ? "ok" : "fail");
    var counted = found.reduce(function (sum, e) { return sum + e.leaf.delta; }, 0) === 1;
    say(fill(counted ? "counted" : "uncounted", { day: leaf.day, kinds: leaf.kinds.join(", ") }), counted ? "ok" : "note");
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var secret = form.querySelector("[name=secret]").value.trim();
    if (!secret) return;
    run(secret).catch(function (error) { say(msgs.error + " " + error.message, "fail"); });
  });
  form.querySelector("button[type=submit]").disabled = false;
})();
