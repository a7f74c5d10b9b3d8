// Teller: encrypted ballots on the member's device (audit/FORMAT.md, sections 14 to 16.10).
// Generated from browser/src by `npm run build` in browser/ (esbuild 0.28.2,
// @noble/curves 2.4.0, @noble/hashes 2.4.0). Do not edit: edit browser/src.
(() => {
  var __defProp = Object.defineProperty;
  var __defNormalProp = (obj, key, value2) => key in obj ? __defProp(obj, key, { enumerable: true, configurable: true, writable: true, value: value2 }) : obj[key] = value2;
  var __publicField = (obj, key, value2) => __defNormalProp(obj, typeof key !== "symbol" ? key + "" : key, value2);

  // node_modules/@noble/hashes/utils.js
  function isBytes(a) {
    return a instanceof Uint8Array || ArrayBuffer.isView(a) && a.constructor.name === "Uint8Array" && "BYTES_PER_ELEMENT" in a && a.BYTES_PER_ELEMENT === 1;
  }
  var atitle = (title) => title ? `"${title}" ` : "";
  function anumber(n, title = "") {
    if (typeof n !== "number")
      throw new TypeError(atitle(title) + "expected number, got " + typeof n);
    if (!Number.isSafeInteger(n) || n < 0)
      throw new RangeError(atitle(title) + "expected integer >= 0, got " + n);
    return n;
  }
  function abytes(value2, length, title = "") {
    if (isBytes(value2) && (length === void 0 || value2.length === length))
      return value2;
    if (length !== void 0)
      anumber(length, "length");
    const bytes = isBytes(value2);
    const ofLen = length !== void 0 ? ` of length ${length}` : "";
    const got = bytes ? `length=${value2.length}` : `type=${typeof value2}`;
    const message = atitle(title) + "expected Uint8Array" + ofLen + ", got " + got;
    if (!bytes)
      throw new TypeError(message);
    throw new RangeError(message);
  }
  var aobject = (value2, label) => {
    if (value2 === null || typeof value2 !== "object" || Array.isArray(value2))
      throw new TypeError((label === "object" ? "" : `"${label}" `) + "expected object, got type=" + typeof value2);
  };
  var aopts = (value2, label) => {
    aobject(value2, label);
    const proto = Object.getPrototypeOf(value2);
    if (proto !== Object.prototype && proto !== null)
      throw new TypeError(`"${label}" expected plain object`);
    if (Object.hasOwn(value2, "__proto__"))
      throw new TypeError(`"${label}.__proto__" is not allowed`);
  };
  function aexists(instance, checkFinished = true) {
    if (instance.destroyed)
      throw new Error("hash was destroyed");
    if (checkFinished && instance.finished)
      throw new Error("digest() was already called");
  }
  function aoutput(out, instance) {
    abytes(out, void 0, "output");
    const min = instance.outputLen;
    if (!(out.length >= min)) {
      throw new RangeError('"output" expected length >= ' + min);
    }
  }
  function clean(...arrays) {
    for (let i = 0; i < arrays.length; i++) {
      arrays[i].fill(0);
    }
  }
  function createView(arr) {
    return new DataView(arr.buffer, arr.byteOffset, arr.byteLength);
  }
  function rotr(word, shift) {
    return word << 32 - shift | word >>> shift;
  }
  var hasHexBuiltin = /* @__PURE__ */ (() => (
    // @ts-ignore
    typeof Uint8Array.from([]).toHex === "function" && typeof Uint8Array.fromHex === "function"
  ))();
  var hexes = /* @__PURE__ */ Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
  function bytesToHex(bytes) {
    abytes(bytes);
    if (hasHexBuiltin)
      return bytes.toHex();
    let hex = "";
    for (let i = 0; i < bytes.length; i++) {
      hex += hexes[bytes[i]];
    }
    return hex;
  }
  function asciiToBase16(ch) {
    return ch >= 48 && ch <= 57 ? ch - 48 : ch >= 65 && ch <= 70 ? ch - (65 - 10) : ch >= 97 && ch <= 102 ? ch - (97 - 10) : void 0;
  }
  function hexToBytes(hex) {
    if (typeof hex !== "string")
      throw new TypeError("hex string expected, got " + typeof hex);
    if (hasHexBuiltin) {
      try {
        return Uint8Array.fromHex(hex);
      } catch (error) {
        if (error instanceof SyntaxError)
          throw new RangeError(error.message);
        throw error;
      }
    }
    const hl = hex.length;
    const al = hl / 2;
    if (hl % 2)
      throw new RangeError("hex string expected, got unpadded hex of length " + hl);
    const array = new Uint8Array(al);
    for (let ai = 0, hi = 0; ai < al; ai++, hi += 2) {
      const n1 = asciiToBase16(hex.charCodeAt(hi));
      const n2 = asciiToBase16(hex.charCodeAt(hi + 1));
      if (n1 === void 0 || n2 === void 0) {
        const char = hex[hi] + hex[hi + 1];
        throw new RangeError('hex string expected, got non-hex character "' + char + '" at index ' + hi);
      }
      array[ai] = n1 * 16 + n2;
    }
    return array;
  }
  function checkOpts(defaults, opts, title = "opts") {
    aopts(defaults, "defaults");
    if (opts !== void 0)
      aopts(opts, title);
    const merged = Object.assign(/* @__PURE__ */ Object.create(null), defaults, opts);
    return merged;
  }
  function createHasher(hashCons, info = {}) {
    if (typeof hashCons !== "function")
      throw new TypeError('"hashCons" expected function, got type=' + typeof hashCons);
    info = checkOpts({}, info, "info");
    const hashC = (msg, opts) => hashCons(opts).update(msg).digest();
    const tmp = hashCons(void 0);
    hashC.outputLen = tmp.outputLen;
    hashC.blockLen = tmp.blockLen;
    hashC.canXOF = tmp.canXOF;
    hashC.create = (opts) => hashCons(opts);
    Object.assign(hashC, info);
    return Object.freeze(hashC);
  }
  function randomBytes(bytesLength = 32) {
    anumber(bytesLength, "bytesLength");
    const cr = typeof globalThis === "object" ? globalThis.crypto : null;
    if (typeof cr?.getRandomValues !== "function")
      throw new Error("crypto.getRandomValues must be defined");
    if (bytesLength > 65536)
      throw new RangeError(`"bytesLength" expected <= 65536, got ${bytesLength}`);
    return cr.getRandomValues(new Uint8Array(bytesLength));
  }
  var oidNist = (suffix) => ({
    // Current NIST hashAlgs suffixes used here fit in one DER subidentifier octet.
    // Larger suffix values would need base-128 OID encoding and a different length byte.
    oid: Uint8Array.from([6, 9, 96, 134, 72, 1, 101, 3, 4, 2, suffix])
  });

  // node_modules/@noble/hashes/_u64.js
  var U32_MASK64 = /* @__PURE__ */ (() => BigInt(2 ** 32 - 1))();
  var _32n = /* @__PURE__ */ BigInt(32);
  function fromBig(n, le = false) {
    if (le)
      return { h: Number(n & U32_MASK64), l: Number(n >> _32n & U32_MASK64) };
    return { h: Number(n >> _32n & U32_MASK64) | 0, l: Number(n & U32_MASK64) | 0 };
  }
  function split(lst, le = false) {
    const len = lst.length;
    let Ah = new Uint32Array(len);
    let Al = new Uint32Array(len);
    for (let i = 0; i < len; i++) {
      const { h, l } = fromBig(lst[i], le);
      [Ah[i], Al[i]] = [h, l];
    }
    return [Ah, Al];
  }
  var fromNumH = (n) => n / 2 ** 32 | 0;
  var fromNumL = (n) => n >>> 0;
  function setU64FromNum(view, byteOffset, n, isLE) {
    const h = fromNumH(n);
    const l = fromNumL(n);
    view.setUint32(byteOffset, isLE ? l : h, isLE);
    view.setUint32(byteOffset + 4, isLE ? h : l, isLE);
  }
  var shrSH = (h, _l, s) => h >>> s;
  var shrSL = (h, l, s) => h << 32 - s | l >>> s;
  var rotrSH = (h, l, s) => h >>> s | l << 32 - s;
  var rotrSL = (h, l, s) => h << 32 - s | l >>> s;
  var rotrBH = (h, l, s) => h << 64 - s | l >>> s - 32;
  var rotrBL = (h, l, s) => h >>> s - 32 | l << 64 - s;
  function add(Ah, Al, Bh, Bl) {
    const l = (Al >>> 0) + (Bl >>> 0);
    return { h: Ah + Bh + (l / 2 ** 32 | 0) | 0, l: l | 0 };
  }
  var add3L = (Al, Bl, Cl) => (Al >>> 0) + (Bl >>> 0) + (Cl >>> 0);
  var add3H = (low, Ah, Bh, Ch) => Ah + Bh + Ch + (low / 2 ** 32 | 0) | 0;
  var add4L = (Al, Bl, Cl, Dl) => (Al >>> 0) + (Bl >>> 0) + (Cl >>> 0) + (Dl >>> 0);
  var add4H = (low, Ah, Bh, Ch, Dh) => Ah + Bh + Ch + Dh + (low / 2 ** 32 | 0) | 0;
  var add5L = (Al, Bl, Cl, Dl, El) => (Al >>> 0) + (Bl >>> 0) + (Cl >>> 0) + (Dl >>> 0) + (El >>> 0);
  var add5H = (low, Ah, Bh, Ch, Dh, Eh) => Ah + Bh + Ch + Dh + Eh + (low / 2 ** 32 | 0) | 0;

  // node_modules/@noble/hashes/_md.js
  function Chi(a, b, c) {
    return a & b ^ ~a & c;
  }
  function Maj(a, b, c) {
    return a & b ^ a & c ^ b & c;
  }
  var HashMD = class {
    constructor(blockLen, outputLen, padOffset, isLE) {
      __publicField(this, "blockLen");
      __publicField(this, "outputLen");
      __publicField(this, "canXOF", false);
      __publicField(this, "padOffset");
      __publicField(this, "isLE");
      // For partial updates less than block size
      __publicField(this, "buffer");
      __publicField(this, "view");
      __publicField(this, "finished", false);
      __publicField(this, "length", 0);
      __publicField(this, "pos", 0);
      __publicField(this, "destroyed", false);
      this.blockLen = blockLen;
      this.outputLen = outputLen;
      this.padOffset = padOffset;
      this.isLE = isLE;
      this.buffer = new Uint8Array(blockLen);
      this.view = createView(this.buffer);
    }
    update(data) {
      aexists(this);
      abytes(data);
      const { view, buffer, blockLen } = this;
      const len = data.length;
      let processed = false;
      for (let pos = 0; pos < len; ) {
        const take = Math.min(blockLen - this.pos, len - pos);
        if (take === blockLen) {
          const dataView = createView(data);
          for (; blockLen <= len - pos; pos += blockLen)
            this.process(dataView, pos);
          processed = true;
          continue;
        }
        buffer.set(pos === 0 && take === len ? data : data.subarray(pos, pos + take), this.pos);
        this.pos += take;
        pos += take;
        if (this.pos === blockLen) {
          this.process(view, 0);
          this.pos = 0;
          processed = true;
        }
      }
      this.length += data.length;
      if (processed)
        this.roundClean();
      return this;
    }
    digestInto(out) {
      aexists(this);
      aoutput(out, this);
      this.finished = true;
      const { buffer, view, blockLen, isLE } = this;
      let { pos } = this;
      buffer[pos++] = 128;
      buffer.fill(0, pos);
      if (this.padOffset > blockLen - pos) {
        this.process(view, 0);
        buffer.fill(0);
      }
      setU64FromNum(view, blockLen - 8, this.length * 8, isLE);
      this.process(view, 0);
      this.roundClean();
      const oview = out === buffer ? view : createView(out);
      const len = this.outputLen;
      const outLen = len / 4;
      const state = this.get();
      if (len % 4 || outLen > state.length)
        throw new Error("invalid outputLen");
      for (let i = 0; i < outLen; i++)
        oview.setUint32(4 * i, state[i], isLE);
    }
    digest() {
      const { buffer, outputLen } = this;
      this.digestInto(buffer);
      const res = buffer.slice(0, outputLen);
      this.destroy();
      return res;
    }
    _cloneIntoMeta(to) {
      const { buffer, length, finished, destroyed, pos } = this;
      to.destroyed = destroyed;
      to.finished = finished;
      to.length = length;
      to.pos = pos;
      if (pos)
        to.buffer.set(buffer);
      return to;
    }
    clone() {
      return this._cloneInto();
    }
  };
  var SHA256_IV = /* @__PURE__ */ Uint32Array.from([
    1779033703,
    3144134277,
    1013904242,
    2773480762,
    1359893119,
    2600822924,
    528734635,
    1541459225
  ]);
  var SHA512_IV = /* @__PURE__ */ Uint32Array.from([
    1779033703,
    4089235720,
    3144134277,
    2227873595,
    1013904242,
    4271175723,
    2773480762,
    1595750129,
    1359893119,
    2917565137,
    2600822924,
    725511199,
    528734635,
    4215389547,
    1541459225,
    327033209
  ]);

  // node_modules/@noble/hashes/sha2.js
  var SHA256_K = /* @__PURE__ */ Uint32Array.from([
    1116352408,
    1899447441,
    3049323471,
    3921009573,
    961987163,
    1508970993,
    2453635748,
    2870763221,
    3624381080,
    310598401,
    607225278,
    1426881987,
    1925078388,
    2162078206,
    2614888103,
    3248222580,
    3835390401,
    4022224774,
    264347078,
    604807628,
    770255983,
    1249150122,
    1555081692,
    1996064986,
    2554220882,
    2821834349,
    2952996808,
    3210313671,
    3336571891,
    3584528711,
    113926993,
    338241895,
    666307205,
    773529912,
    1294757372,
    1396182291,
    1695183700,
    1986661051,
    2177026350,
    2456956037,
    2730485921,
    2820302411,
    3259730800,
    3345764771,
    3516065817,
    3600352804,
    4094571909,
    275423344,
    430227734,
    506948616,
    659060556,
    883997877,
    958139571,
    1322822218,
    1537002063,
    1747873779,
    1955562222,
    2024104815,
    2227730452,
    2361852424,
    2428436474,
    2756734187,
    3204031479,
    3329325298
  ]);
  var SHA256_W = /* @__PURE__ */ new Uint32Array(64);
  var SHA2_32B = class extends HashMD {
    constructor(outputLen, IV) {
      super(64, outputLen, 8, false);
      // We cannot use array here since array allows indexing by variable
      // which means optimizer/compiler cannot use registers.
      // Numeric initializers matter: starting the fields as `undefined` changes
      // V8's field representation and makes sha256 3x slower (measured).
      __publicField(this, "A", 0);
      __publicField(this, "B", 0);
      __publicField(this, "C", 0);
      __publicField(this, "D", 0);
      __publicField(this, "E", 0);
      __publicField(this, "F", 0);
      __publicField(this, "G", 0);
      __publicField(this, "H", 0);
      this.A = IV[0] | 0;
      this.B = IV[1] | 0;
      this.C = IV[2] | 0;
      this.D = IV[3] | 0;
      this.E = IV[4] | 0;
      this.F = IV[5] | 0;
      this.G = IV[6] | 0;
      this.H = IV[7] | 0;
    }
    get() {
      const { A, B, C, D, E, F, G: G2, H } = this;
      return [A, B, C, D, E, F, G2, H];
    }
    // prettier-ignore
    set(A, B, C, D, E, F, G2, H) {
      this.A = A | 0;
      this.B = B | 0;
      this.C = C | 0;
      this.D = D | 0;
      this.E = E | 0;
      this.F = F | 0;
      this.G = G2 | 0;
      this.H = H | 0;
    }
    _cloneInto(to) {
      (to || (to = new this.constructor())).set(...this.get());
      return this._cloneIntoMeta(to);
    }
    process(view, offset) {
      for (let i = 0; i < 16; i++, offset += 4)
        SHA256_W[i] = view.getUint32(offset, false);
      for (let i = 16; i < 64; i++) {
        const W15 = SHA256_W[i - 15];
        const W2 = SHA256_W[i - 2];
        const s0 = rotr(W15, 7) ^ rotr(W15, 18) ^ W15 >>> 3;
        const s1 = rotr(W2, 17) ^ rotr(W2, 19) ^ W2 >>> 10;
        SHA256_W[i] = s1 + SHA256_W[i - 7] + s0 + SHA256_W[i - 16] | 0;
      }
      let { A, B, C, D, E, F, G: G2, H } = this;
      for (let i = 0; i < 64; i++) {
        const sigma1 = rotr(E, 6) ^ rotr(E, 11) ^ rotr(E, 25);
        const T1 = H + sigma1 + Chi(E, F, G2) + SHA256_K[i] + SHA256_W[i] | 0;
        const sigma0 = rotr(A, 2) ^ rotr(A, 13) ^ rotr(A, 22);
        const T2 = sigma0 + Maj(A, B, C) | 0;
        H = G2;
        G2 = F;
        F = E;
        E = D + T1 | 0;
        D = C;
        C = B;
        B = A;
        A = T1 + T2 | 0;
      }
      A = A + this.A | 0;
      B = B + this.B | 0;
      C = C + this.C | 0;
      D = D + this.D | 0;
      E = E + this.E | 0;
      F = F + this.F | 0;
      G2 = G2 + this.G | 0;
      H = H + this.H | 0;
      this.set(A, B, C, D, E, F, G2, H);
    }
    roundClean() {
      clean(SHA256_W);
    }
    destroy() {
      this.destroyed = true;
      this.set(0, 0, 0, 0, 0, 0, 0, 0);
      clean(this.buffer);
    }
  };
  var _SHA256 = class extends SHA2_32B {
    constructor() {
      super(32, SHA256_IV);
    }
  };
  var K512 = /* @__PURE__ */ (() => split([
    "0x428a2f98d728ae22",
    "0x7137449123ef65cd",
    "0xb5c0fbcfec4d3b2f",
    "0xe9b5dba58189dbbc",
    "0x3956c25bf348b538",
    "0x59f111f1b605d019",
    "0x923f82a4af194f9b",
    "0xab1c5ed5da6d8118",
    "0xd807aa98a3030242",
    "0x12835b0145706fbe",
    "0x243185be4ee4b28c",
    "0x550c7dc3d5ffb4e2",
    "0x72be5d74f27b896f",
    "0x80deb1fe3b1696b1",
    "0x9bdc06a725c71235",
    "0xc19bf174cf692694",
    "0xe49b69c19ef14ad2",
    "0xefbe4786384f25e3",
    "0x0fc19dc68b8cd5b5",
    "0x240ca1cc77ac9c65",
    "0x2de92c6f592b0275",
    "0x4a7484aa6ea6e483",
    "0x5cb0a9dcbd41fbd4",
    "0x76f988da831153b5",
    "0x983e5152ee66dfab",
    "0xa831c66d2db43210",
    "0xb00327c898fb213f",
    "0xbf597fc7beef0ee4",
    "0xc6e00bf33da88fc2",
    "0xd5a79147930aa725",
    "0x06ca6351e003826f",
    "0x142929670a0e6e70",
    "0x27b70a8546d22ffc",
    "0x2e1b21385c26c926",
    "0x4d2c6dfc5ac42aed",
    "0x53380d139d95b3df",
    "0x650a73548baf63de",
    "0x766a0abb3c77b2a8",
    "0x81c2c92e47edaee6",
    "0x92722c851482353b",
    "0xa2bfe8a14cf10364",
    "0xa81a664bbc423001",
    "0xc24b8b70d0f89791",
    "0xc76c51a30654be30",
    "0xd192e819d6ef5218",
    "0xd69906245565a910",
    "0xf40e35855771202a",
    "0x106aa07032bbd1b8",
    "0x19a4c116b8d2d0c8",
    "0x1e376c085141ab53",
    "0x2748774cdf8eeb99",
    "0x34b0bcb5e19b48a8",
    "0x391c0cb3c5c95a63",
    "0x4ed8aa4ae3418acb",
    "0x5b9cca4f7763e373",
    "0x682e6ff3d6b2b8a3",
    "0x748f82ee5defb2fc",
    "0x78a5636f43172f60",
    "0x84c87814a1f0ab72",
    "0x8cc702081a6439ec",
    "0x90befffa23631e28",
    "0xa4506cebde82bde9",
    "0xbef9a3f7b2c67915",
    "0xc67178f2e372532b",
    "0xca273eceea26619c",
    "0xd186b8c721c0c207",
    "0xeada7dd6cde0eb1e",
    "0xf57d4f7fee6ed178",
    "0x06f067aa72176fba",
    "0x0a637dc5a2c898a6",
    "0x113f9804bef90dae",
    "0x1b710b35131c471b",
    "0x28db77f523047d84",
    "0x32caab7b40c72493",
    "0x3c9ebe0a15c9bebc",
    "0x431d67c49c100d4c",
    "0x4cc5d4becb3e42b6",
    "0x597f299cfc657e2a",
    "0x5fcb6fab3ad6faec",
    "0x6c44198c4a475817"
  ].map((n) => BigInt(n))))();
  var SHA512_Kh = /* @__PURE__ */ (() => K512[0])();
  var SHA512_Kl = /* @__PURE__ */ (() => K512[1])();
  var SHA512_W_H = /* @__PURE__ */ new Uint32Array(80);
  var SHA512_W_L = /* @__PURE__ */ new Uint32Array(80);
  var SHA2_64B = class extends HashMD {
    constructor(outputLen, IV) {
      super(128, outputLen, 16, false);
      // We cannot use array here since array allows indexing by variable
      // which means optimizer/compiler cannot use registers.
      // h -- high 32 bits, l -- low 32 bits
      // Numeric initializers matter: starting the fields as `undefined` changes
      // V8's field representation and slows hashing down (measured on sha256).
      __publicField(this, "Ah", 0);
      __publicField(this, "Al", 0);
      __publicField(this, "Bh", 0);
      __publicField(this, "Bl", 0);
      __publicField(this, "Ch", 0);
      __publicField(this, "Cl", 0);
      __publicField(this, "Dh", 0);
      __publicField(this, "Dl", 0);
      __publicField(this, "Eh", 0);
      __publicField(this, "El", 0);
      __publicField(this, "Fh", 0);
      __publicField(this, "Fl", 0);
      __publicField(this, "Gh", 0);
      __publicField(this, "Gl", 0);
      __publicField(this, "Hh", 0);
      __publicField(this, "Hl", 0);
      this.Ah = IV[0] | 0;
      this.Al = IV[1] | 0;
      this.Bh = IV[2] | 0;
      this.Bl = IV[3] | 0;
      this.Ch = IV[4] | 0;
      this.Cl = IV[5] | 0;
      this.Dh = IV[6] | 0;
      this.Dl = IV[7] | 0;
      this.Eh = IV[8] | 0;
      this.El = IV[9] | 0;
      this.Fh = IV[10] | 0;
      this.Fl = IV[11] | 0;
      this.Gh = IV[12] | 0;
      this.Gl = IV[13] | 0;
      this.Hh = IV[14] | 0;
      this.Hl = IV[15] | 0;
    }
    // prettier-ignore
    get() {
      const { Ah, Al, Bh, Bl, Ch, Cl, Dh, Dl, Eh, El, Fh, Fl, Gh, Gl, Hh, Hl } = this;
      return [Ah, Al, Bh, Bl, Ch, Cl, Dh, Dl, Eh, El, Fh, Fl, Gh, Gl, Hh, Hl];
    }
    // prettier-ignore
    set(Ah, Al, Bh, Bl, Ch, Cl, Dh, Dl, Eh, El, Fh, Fl, Gh, Gl, Hh, Hl) {
      this.Ah = Ah | 0;
      this.Al = Al | 0;
      this.Bh = Bh | 0;
      this.Bl = Bl | 0;
      this.Ch = Ch | 0;
      this.Cl = Cl | 0;
      this.Dh = Dh | 0;
      this.Dl = Dl | 0;
      this.Eh = Eh | 0;
      this.El = El | 0;
      this.Fh = Fh | 0;
      this.Fl = Fl | 0;
      this.Gh = Gh | 0;
      this.Gl = Gl | 0;
      this.Hh = Hh | 0;
      this.Hl = Hl | 0;
    }
    _cloneInto(to) {
      (to || (to = new this.constructor())).set(...this.get());
      return this._cloneIntoMeta(to);
    }
    process(view, offset) {
      for (let i = 0; i < 16; i++, offset += 4) {
        SHA512_W_H[i] = view.getUint32(offset);
        SHA512_W_L[i] = view.getUint32(offset += 4);
      }
      for (let i = 16; i < 80; i++) {
        const W15h = SHA512_W_H[i - 15] | 0;
        const W15l = SHA512_W_L[i - 15] | 0;
        const s0h = rotrSH(W15h, W15l, 1) ^ rotrSH(W15h, W15l, 8) ^ shrSH(W15h, W15l, 7);
        const s0l = rotrSL(W15h, W15l, 1) ^ rotrSL(W15h, W15l, 8) ^ shrSL(W15h, W15l, 7);
        const W2h = SHA512_W_H[i - 2] | 0;
        const W2l = SHA512_W_L[i - 2] | 0;
        const s1h = rotrSH(W2h, W2l, 19) ^ rotrBH(W2h, W2l, 61) ^ shrSH(W2h, W2l, 6);
        const s1l = rotrSL(W2h, W2l, 19) ^ rotrBL(W2h, W2l, 61) ^ shrSL(W2h, W2l, 6);
        const SUMl = add4L(s0l, s1l, SHA512_W_L[i - 7], SHA512_W_L[i - 16]);
        const SUMh = add4H(SUMl, s0h, s1h, SHA512_W_H[i - 7], SHA512_W_H[i - 16]);
        SHA512_W_H[i] = SUMh | 0;
        SHA512_W_L[i] = SUMl | 0;
      }
      let { Ah, Al, Bh, Bl, Ch, Cl, Dh, Dl, Eh, El, Fh, Fl, Gh, Gl, Hh, Hl } = this;
      for (let i = 0; i < 80; i++) {
        const sigma1h = rotrSH(Eh, El, 14) ^ rotrSH(Eh, El, 18) ^ rotrBH(Eh, El, 41);
        const sigma1l = rotrSL(Eh, El, 14) ^ rotrSL(Eh, El, 18) ^ rotrBL(Eh, El, 41);
        const CHIh = Eh & Fh ^ ~Eh & Gh;
        const CHIl = El & Fl ^ ~El & Gl;
        const T1ll = add5L(Hl, sigma1l, CHIl, SHA512_Kl[i], SHA512_W_L[i]);
        const T1h = add5H(T1ll, Hh, sigma1h, CHIh, SHA512_Kh[i], SHA512_W_H[i]);
        const T1l = T1ll | 0;
        const sigma0h = rotrSH(Ah, Al, 28) ^ rotrBH(Ah, Al, 34) ^ rotrBH(Ah, Al, 39);
        const sigma0l = rotrSL(Ah, Al, 28) ^ rotrBL(Ah, Al, 34) ^ rotrBL(Ah, Al, 39);
        const MAJh = Ah & Bh ^ Ah & Ch ^ Bh & Ch;
        const MAJl = Al & Bl ^ Al & Cl ^ Bl & Cl;
        Hh = Gh | 0;
        Hl = Gl | 0;
        Gh = Fh | 0;
        Gl = Fl | 0;
        Fh = Eh | 0;
        Fl = El | 0;
        ({ h: Eh, l: El } = add(Dh | 0, Dl | 0, T1h | 0, T1l | 0));
        Dh = Ch | 0;
        Dl = Cl | 0;
        Ch = Bh | 0;
        Cl = Bl | 0;
        Bh = Ah | 0;
        Bl = Al | 0;
        const All = add3L(T1l, sigma0l, MAJl);
        Ah = add3H(All, T1h, sigma0h, MAJh);
        Al = All | 0;
      }
      ({ h: Ah, l: Al } = add(this.Ah | 0, this.Al | 0, Ah | 0, Al | 0));
      ({ h: Bh, l: Bl } = add(this.Bh | 0, this.Bl | 0, Bh | 0, Bl | 0));
      ({ h: Ch, l: Cl } = add(this.Ch | 0, this.Cl | 0, Ch | 0, Cl | 0));
      ({ h: Dh, l: Dl } = add(this.Dh | 0, this.Dl | 0, Dh | 0, Dl | 0));
      ({ h: Eh, l: El } = add(this.Eh | 0, this.El | 0, Eh | 0, El | 0));
      ({ h: Fh, l: Fl } = add(this.Fh | 0, this.Fl | 0, Fh | 0, Fl | 0));
      ({ h: Gh, l: Gl } = add(this.Gh | 0, this.Gl | 0, Gh | 0, Gl | 0));
      ({ h: Hh, l: Hl } = add(this.Hh | 0, this.Hl | 0, Hh | 0, Hl | 0));
      this.set(Ah, Al, Bh, Bl, Ch, Cl, Dh, Dl, Eh, El, Fh, Fl, Gh, Gl, Hh, Hl);
    }
    roundClean() {
      clean(SHA512_W_H, SHA512_W_L);
    }
    destroy() {
      this.destroyed = true;
      clean(this.buffer);
      this.set(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }
  };
  var _SHA512 = class extends SHA2_64B {
    constructor() {
      super(64, SHA512_IV);
    }
  };
  var sha256 = /* @__PURE__ */ createHasher(
    () => new _SHA256(),
    /* @__PURE__ */ oidNist(1)
  );
  var sha512 = /* @__PURE__ */ createHasher(
    () => new _SHA512(),
    /* @__PURE__ */ oidNist(3)
  );

  // src/canonical.js
  var utf8 = new TextEncoder();
  function compareUtf8(a, b) {
    const x = utf8.encode(a);
    const y = utf8.encode(b);
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  }
  function string(s) {
    let out = '"';
    for (const ch of s) {
      const c = ch.codePointAt(0);
      if (ch === '"') out += '\\"';
      else if (ch === "\\") out += "\\\\";
      else if (c < 32) out += "\\u00" + c.toString(16).padStart(2, "0");
      else if (c >= 55296 && c <= 57343) throw new Error("a lone surrogate has no UTF-8 encoding");
      else out += ch;
    }
    return out + '"';
  }
  function value(v) {
    if (v === null) return "null";
    if (v === true) return "true";
    if (v === false) return "false";
    if (typeof v === "string") return string(v);
    if (typeof v === "bigint") return v.toString();
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v)) throw new Error(`not an integer canonical JSON can hold: ${v}`);
      return Object.is(v, -0) ? "0" : String(v);
    }
    if (Array.isArray(v)) return "[" + v.map(value).join(",") + "]";
    if (typeof v === "object") {
      const keys = Object.keys(v).sort(compareUtf8);
      return "{" + keys.map((k) => string(k) + ":" + value(v[k])).join(",") + "}";
    }
    throw new Error(`no canonical JSON for a ${typeof v}`);
  }
  function canonical(v) {
    return value(v);
  }
  function canonicalBytes(v) {
    return utf8.encode(value(v));
  }

  // src/refused.js
  var Refused = class extends Error {
    /**
     * @param {string} check the check's name, e.g. "format" or "ballot-proofs"
     * @param {string} path the JSON path of the value at fault ("" for the whole input)
     * @param {string} reason what was expected and found, for people
     * @param {string} [code] for a refused element or scalar, the reason's name
     *   as the Rust verifier and the test vectors spell it: "hex",
     *   "non-canonical", "negative", "not-in-group", "identity"
     */
    constructor(check, path, reason, code) {
      super(`${check}: ${path ? path + ": " : ""}${reason}`);
      this.name = "Refused";
      this.check = check;
      this.path = path;
      this.reason = reason;
      this.code = code;
    }
  };

  // src/contests.js
  var REFERENDUM_OPTIONS = ["yes", "no", "abstain"];
  var MAX_CUMULATIVE_BRANCHES = 500;
  function contestLimits(definition) {
    return definition.contests.map((contest, i) => {
      const path = `definition.contests[${i}]`;
      const method = contest.method ?? {};
      const candidates = (contest.candidates ?? []).map((c) => c.id);
      switch (method.kind) {
        case "plurality":
          if (method.write_ins) {
            throw new Refused("definition", path, "ranked methods and write-ins cannot be counted under encryption yet");
          }
          return { id: contest.id, options: candidates, p: 1, L: Math.min(contest.seats, candidates.length) };
        case "approval":
          return { id: contest.id, options: candidates, p: 1, L: candidates.length };
        case "referendum":
          return { id: contest.id, options: REFERENDUM_OPTIONS, p: 1, L: 1 };
        case "cumulative": {
          const product = method.points * candidates.length;
          if (product > MAX_CUMULATIVE_BRANCHES) {
            throw new Refused(
              "definition",
              path,
              `cumulative voting under encryption allows at most ${MAX_CUMULATIVE_BRANCHES} for points \xD7 candidates, and this contest has ${method.points} \xD7 ${candidates.length} = ${product}; give fewer points or split the contest`
            );
          }
          return { id: contest.id, options: candidates, p: method.points, L: method.points };
        }
        default:
          throw new Refused("definition", path, "ranked methods and write-ins cannot be counted under encryption yet");
      }
    });
  }
  function countsFromChoices(limits, choices) {
    const counts = /* @__PURE__ */ new Map();
    const known = new Set(limits.map((c) => c.id));
    for (const id of Object.keys(choices)) {
      if (!known.has(id)) throw new Refused("ballot-validity", `choices.${id}`, "not a contest of this election");
    }
    for (const { id, options, p, L } of limits) {
      const path = `choices.${id}`;
      const chosen = choices[id];
      if (!Array.isArray(chosen)) throw new Refused("ballot-validity", path, "missing: every contest needs a list, empty when blank");
      const m = options.map(() => 0);
      for (const option of chosen) {
        const at = options.indexOf(option);
        if (at < 0) throw new Refused("ballot-validity", path, `${JSON.stringify(option)} is not an option of this contest`);
        m[at] += 1;
      }
      if (m.some((x) => x > p)) throw new Refused("ballot-validity", path, `an option was chosen more than ${p} time(s)`);
      if (chosen.length > L) throw new Refused("ballot-validity", path, `more than ${L} choice(s)`);
      counts.set(id, m);
    }
    return counts;
  }
  function choicesFromCounts(limits, counts) {
    const choices = {};
    for (const { id, options } of limits) {
      choices[id] = options.flatMap((option, i) => Array(counts.get(id)[i]).fill(option));
    }
    return choices;
  }

  // node_modules/@noble/curves/utils.js
  /*! noble-curves - MIT License (c) 2022 Paul Miller (paulmillr.com) */
  function aarray(item, title, inner = () => {
  }) {
    if (!Array.isArray(item))
      throw new TypeError(`"${title}" expected array, got type=${typeof item}`);
    for (let i = 0; i < item.length; i++)
      inner(item[i], `${title}[${i}]`);
    return item;
  }
  var abytes2 = (value2, length, title) => abytes(value2, length, title);
  var anumber2 = anumber;
  function aobject2(value2, title = "object") {
    if (value2 === null || typeof value2 !== "object" || Array.isArray(value2))
      throw new TypeError(title === "object" ? "expected valid options object" : `"${title}" expected object, got type=${typeof value2}`);
    return value2;
  }
  function afunction(value2, title) {
    if (typeof value2 !== "function")
      throw new TypeError(`"${title}" is invalid: expected function, got ${typeof value2}`);
    return value2;
  }
  var bytesToHex2 = bytesToHex;
  var hexToBytes2 = (hex) => hexToBytes(hex);
  var isBytes2 = isBytes;
  var randomBytes2 = (bytesLength) => randomBytes(bytesLength);
  var _0n = /* @__PURE__ */ BigInt(0);
  var _1n = /* @__PURE__ */ BigInt(1);
  var atitle2 = (title) => title ? `"${title}" ` : "";
  function abool(value2, title = "") {
    if (typeof value2 !== "boolean")
      throw new TypeError(atitle2(title) + "expected boolean, got type=" + typeof value2);
    return value2;
  }
  function abignumber(n) {
    if (typeof n === "bigint") {
      if (!isPosBig(n))
        throw new RangeError("positive bigint expected, got " + n);
    } else
      anumber2(n);
    return n;
  }
  function asafenumber(value2, title = "") {
    if (typeof value2 !== "number") {
      const prefix = title && `"${title}" `;
      throw new TypeError(prefix + "expected number, got type=" + typeof value2);
    }
    if (!Number.isSafeInteger(value2)) {
      const prefix = title && `"${title}" `;
      throw new RangeError(prefix + "expected safe integer, got " + value2);
    }
  }
  function hexToNumber(hex) {
    if (typeof hex !== "string")
      throw new TypeError("hex string expected, got " + typeof hex);
    return hex === "" ? _0n : BigInt("0x" + hex);
  }
  function bytesToNumberBE(bytes) {
    return hexToNumber(bytesToHex(bytes));
  }
  function bytesToNumberLE(bytes) {
    return hexToNumber(bytesToHex(copyBytes(abytes(bytes)).reverse()));
  }
  function numberToBytesBE(n, len) {
    anumber(len);
    if (len === 0)
      throw new Error("zero output length is invalid");
    n = abignumber(n);
    const expectedLen = len * 2;
    const hex = n.toString(16);
    if (hex.length > expectedLen)
      throw new RangeError("number is too large");
    return hexToBytes(hex.padStart(expectedLen, "0"));
  }
  function numberToBytesLE(n, len) {
    return numberToBytesBE(n, len).reverse();
  }
  function equalBytes(a, b) {
    a = abytes2(a);
    b = abytes2(b);
    if (a.length !== b.length)
      return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++)
      diff |= a[i] ^ b[i];
    return diff === 0;
  }
  function copyBytes(bytes) {
    return Uint8Array.from(abytes2(bytes));
  }
  function isPosBig(n) {
    return typeof n === "bigint" && _0n <= n;
  }
  function inRange(n, min, max) {
    return isPosBig(n) && isPosBig(min) && isPosBig(max) && min <= n && n < max;
  }
  function aInRange(title, n, min, max) {
    if (!inRange(n, min, max))
      throw new RangeError("expected valid " + title + ": " + min + " <= n < " + max + ", got " + n);
  }
  function bitLen(n) {
    if (n < _0n)
      throw new Error("expected non-negative bigint, got " + n);
    return n === _0n ? 0 : n.toString(2).length;
  }
  var bitMask = (n) => {
    asafenumber(n, "n");
    return (_1n << BigInt(n)) - _1n;
  };
  function validateObject(object, fields = {}, optFields = {}, title = "object") {
    aobject2(object, title);
    aobject2(fields, "fields");
    aobject2(optFields, "optFields");
    function checkField(fieldName, expectedType, isOpt) {
      const label = title === "object" ? `param "${String(fieldName)}"` : `"${title}.${String(fieldName)}"`;
      const val = object[fieldName];
      if (!Object.hasOwn(object, fieldName) && (isOpt ? val !== void 0 : expectedType !== "function")) {
        throw new TypeError(`${label} is invalid: expected own property`);
      }
      if (isOpt && val === void 0)
        return;
      const current = typeof val;
      if (current !== expectedType || val === null)
        throw new TypeError(`${label} is invalid: expected ${expectedType}, got ${current}`);
    }
    const iter = (f, isOpt) => Object.entries(f).forEach(([k, v]) => checkField(k, v, isOpt));
    iter(fields, false);
    iter(optFields, true);
  }
  var notImplemented = () => {
    throw new Error("not implemented");
  };

  // node_modules/@noble/curves/abstract/modular.js
  /*! noble-curves - MIT License (c) 2022 Paul Miller (paulmillr.com) */
  var _0n2 = /* @__PURE__ */ BigInt(0);
  var _1n2 = /* @__PURE__ */ BigInt(1);
  var _2n = /* @__PURE__ */ BigInt(2);
  var _3n = /* @__PURE__ */ BigInt(3);
  var _4n = /* @__PURE__ */ BigInt(4);
  var _5n = /* @__PURE__ */ BigInt(5);
  var _7n = /* @__PURE__ */ BigInt(7);
  var _8n = /* @__PURE__ */ BigInt(8);
  var _9n = /* @__PURE__ */ BigInt(9);
  var _15n = /* @__PURE__ */ BigInt(15);
  var _16n = /* @__PURE__ */ BigInt(16);
  var POW_WINDOWED_MIN = /* @__PURE__ */ BigInt("0x10000000000000000");
  function mod(a, b) {
    if (b <= _0n2)
      throw new Error("mod: expected positive modulus, got " + b);
    const result = a % b;
    return result >= _0n2 ? result : b + result;
  }
  function pow(num, power, modulo) {
    if (modulo <= _1n2)
      throw new Error("pow: expected modulus > 1, got " + modulo);
    if (typeof power !== "bigint")
      throw new TypeError("invalid exponent: expected bigint, got " + typeof power);
    if (power < _0n2)
      throw new Error("invalid exponent, negatives unsupported");
    if (power === _0n2)
      return _1n2;
    if (power === _1n2)
      return num;
    let d = num % modulo;
    if (d < _0n2)
      d += modulo;
    if (power < POW_WINDOWED_MIN) {
      let p2 = _1n2;
      while (power > _0n2) {
        if (power & _1n2)
          p2 = p2 * d % modulo;
        d = d * d % modulo;
        power >>= _1n2;
      }
      return p2;
    }
    const digits = [];
    while (power > _0n2) {
      digits.push(Number(power & _15n));
      power >>= _4n;
    }
    const table = new Array(16);
    table[0] = _1n2;
    table[1] = d;
    for (let i = 2; i < 16; i++)
      table[i] = table[i - 1] * d % modulo;
    let p = table[digits[digits.length - 1]];
    for (let w = digits.length - 2; w >= 0; w--) {
      p = p * p % modulo;
      p = p * p % modulo;
      p = p * p % modulo;
      p = p * p % modulo;
      const digit = digits[w];
      if (digit !== 0)
        p = p * table[digit] % modulo;
    }
    return p;
  }
  function pow2(x, power, modulo) {
    if (modulo <= _1n2)
      throw new Error("pow2: expected modulus > 1, got " + modulo);
    if (power < _0n2)
      throw new Error("pow2: expected non-negative exponent, got " + power);
    let res = x;
    while (power-- > _0n2) {
      res *= res;
      res %= modulo;
    }
    return res;
  }
  function invert(number, modulo) {
    if (number === _0n2)
      throw new Error("invert: expected non-zero number");
    if (modulo <= _1n2)
      throw new Error("invert: expected modulus > 1, got " + modulo);
    let a = mod(number, modulo);
    let b = modulo;
    let x = _0n2, u = _1n2;
    while (a !== _0n2) {
      const q = b / a;
      const r = b - a * q;
      const m = x - u * q;
      b = a, a = r, x = u, u = m;
    }
    const gcd = b;
    if (gcd !== _1n2)
      throw new Error("invert: does not exist");
    return mod(x, modulo);
  }
  function assertIsSquare(Fp2, root, n) {
    const F = Fp2;
    if (!F.eql(F.sqr(root), n))
      throw new Error("Cannot find square root");
  }
  function aoddModulus(order, fnName) {
    if ((order & _1n2) === _0n2)
      throw new Error(fnName + ": expected odd modulus, got " + order);
  }
  function sqrt3mod4(Fp2, n) {
    const F = Fp2;
    const p1div4 = (F.ORDER + _1n2) / _4n;
    const root = F.pow(n, p1div4);
    assertIsSquare(F, root, n);
    return root;
  }
  function sqrt5mod8(Fp2, n) {
    const F = Fp2;
    const p5div8 = (F.ORDER - _5n) / _8n;
    const n2 = F.mul(n, _2n);
    const v = F.pow(n2, p5div8);
    const nv = F.mul(n, v);
    const i = F.mul(F.mul(nv, _2n), v);
    const root = F.mul(nv, F.sub(i, F.ONE));
    assertIsSquare(F, root, n);
    return root;
  }
  function sqrt9mod16(P2) {
    const Fp_ = Field(P2);
    const tn = tonelliShanks(P2);
    const c1 = tn(Fp_, Fp_.neg(Fp_.ONE));
    const c2 = tn(Fp_, c1);
    const c3 = tn(Fp_, Fp_.neg(c1));
    const c4 = (P2 + _7n) / _16n;
    return ((Fp2, n) => {
      const F = Fp2;
      let tv1 = F.pow(n, c4);
      let tv2 = F.mul(tv1, c1);
      const tv3 = F.mul(tv1, c2);
      const tv4 = F.mul(tv1, c3);
      const e1 = F.eql(F.sqr(tv2), n);
      const e2 = F.eql(F.sqr(tv3), n);
      tv1 = F.cmov(tv1, tv2, e1);
      tv2 = F.cmov(tv4, tv3, e2);
      const e3 = F.eql(F.sqr(tv2), n);
      const root = F.cmov(tv1, tv2, e3);
      assertIsSquare(F, root, n);
      return root;
    });
  }
  function tonelliShanks(P2) {
    if (P2 < _3n)
      throw new Error("sqrt is not defined for small field");
    aoddModulus(P2, "tonelliShanks");
    let Q = P2 - _1n2;
    let S = 0;
    while (Q % _2n === _0n2) {
      Q /= _2n;
      S++;
    }
    let Z = _2n;
    const _Fp = Field(P2);
    while (FpLegendre(_Fp, Z) === 1) {
      if (Z++ > 1e3)
        throw new Error("Cannot find square root: probably non-prime P");
    }
    if (S === 1)
      return sqrt3mod4;
    let cc = _Fp.pow(Z, Q);
    const Q1div2 = (Q + _1n2) / _2n;
    return function tonelliSlow(Fp2, n) {
      const F = Fp2;
      if (F.is0(n))
        return n;
      if (FpLegendre(F, n) !== 1)
        throw new Error("Cannot find square root");
      let M = S;
      let c = F.mul(F.ONE, cc);
      let t = F.pow(n, Q);
      let R = F.pow(n, Q1div2);
      while (!F.eql(t, F.ONE)) {
        if (F.is0(t))
          throw new Error("Cannot find square root: probably non-prime P");
        let i = 1;
        let t_tmp = F.sqr(t);
        while (!F.eql(t_tmp, F.ONE)) {
          i++;
          t_tmp = F.sqr(t_tmp);
          if (i === M)
            throw new Error("Cannot find square root");
        }
        const exponent = _1n2 << BigInt(M - i - 1);
        const b = F.pow(c, exponent);
        M = i;
        c = F.sqr(b);
        t = F.mul(t, c);
        R = F.mul(R, b);
      }
      return R;
    };
  }
  function FpSqrt(P2) {
    aoddModulus(P2, "Fp.sqrt");
    if (P2 % _4n === _3n)
      return sqrt3mod4;
    if (P2 % _8n === _5n)
      return sqrt5mod8;
    if (P2 % _16n === _9n)
      return sqrt9mod16(P2);
    return tonelliShanks(P2);
  }
  var isNegativeLE = (num, modulo) => (mod(num, modulo) & _1n2) === _1n2;
  var FIELD_FIELDS = [
    "create",
    "isValid",
    "is0",
    "neg",
    "inv",
    "sqrt",
    "sqr",
    "eql",
    "add",
    "sub",
    "mul",
    "pow",
    "div",
    "addN",
    "subN",
    "mulN",
    "sqrN"
  ];
  function validateField(field) {
    aobject2(field, "field");
    if (typeof field.ORDER !== "bigint")
      throw new TypeError('param "ORDER" is invalid: expected bigint, got ' + typeof field.ORDER);
    asafenumber(field.BYTES, "BYTES");
    asafenumber(field.BITS, "BITS");
    for (const name of FIELD_FIELDS)
      afunction(field[name], "field." + name);
    if (field.BYTES < 1 || field.BITS < 1)
      throw new Error("invalid field: expected BYTES/BITS > 0");
    if (field.ORDER <= _1n2)
      throw new Error("invalid field: expected ORDER > 1, got " + field.ORDER);
    return field;
  }
  function FpInvertBatch(Fp2, nums, passZero = false) {
    validateField(Fp2);
    aarray(nums, "nums");
    abool(passZero, "passZero");
    const F = Fp2;
    const inverted = new Array(nums.length).fill(passZero ? F.ZERO : void 0);
    const multipliedAcc = nums.reduce((acc, num, i) => {
      if (F.is0(num))
        return acc;
      inverted[i] = acc;
      return F.mul(acc, num);
    }, F.ONE);
    const invertedAcc = F.inv(multipliedAcc);
    nums.reduceRight((acc, num, i) => {
      if (F.is0(num))
        return acc;
      inverted[i] = F.mul(acc, inverted[i]);
      return F.mul(acc, num);
    }, invertedAcc);
    return inverted;
  }
  function FpLegendre(Fp2, n) {
    validateField(Fp2);
    const F = Fp2;
    aoddModulus(F.ORDER, "FpLegendre");
    const p1mod2 = (F.ORDER - _1n2) / _2n;
    const powered = F.pow(n, p1mod2);
    const yes = F.eql(powered, F.ONE);
    const zero = F.eql(powered, F.ZERO);
    const no = F.eql(powered, F.neg(F.ONE));
    if (!yes && !zero && !no)
      throw new Error("invalid Legendre symbol result");
    return yes ? 1 : zero ? 0 : -1;
  }
  function nLength(n, nBitLength) {
    if (nBitLength !== void 0)
      anumber2(nBitLength);
    if (n <= _0n2)
      throw new Error("invalid n length: expected positive n, got " + n);
    if (nBitLength !== void 0 && nBitLength < 1)
      throw new Error("invalid n length: expected positive bit length, got " + nBitLength);
    const bits = bitLen(n);
    if (nBitLength !== void 0 && nBitLength < bits)
      throw new Error(`invalid n length: expected nBitLength (${nBitLength}) >= bitLen(n) (${bits})`);
    const _nBitLength = nBitLength !== void 0 ? nBitLength : bits;
    const nByteLength = Math.ceil(_nBitLength / 8);
    return { nBitLength: _nBitLength, nByteLength };
  }
  var FIELD_SQRT = /* @__PURE__ */ new WeakMap();
  var _Field = class {
    constructor(ORDER, opts = {}) {
      __publicField(this, "ORDER");
      __publicField(this, "BITS");
      __publicField(this, "BYTES");
      __publicField(this, "isLE");
      __publicField(this, "ZERO", _0n2);
      __publicField(this, "ONE", _1n2);
      __publicField(this, "_lengths");
      __publicField(this, "_mod");
      if (ORDER <= _1n2)
        throw new Error("invalid field: expected ORDER > 1, got " + ORDER);
      let _nbitLength = void 0;
      this.isLE = false;
      if (opts != null && typeof opts === "object") {
        if (typeof opts.BITS === "number")
          _nbitLength = opts.BITS;
        if (typeof opts.sqrt === "function")
          Object.defineProperty(this, "sqrt", { value: opts.sqrt, enumerable: true });
        if (typeof opts.isLE === "boolean")
          this.isLE = opts.isLE;
        if (opts.allowedLengths)
          this._lengths = Object.freeze(opts.allowedLengths.slice());
        if (typeof opts.modFromBytes === "boolean")
          this._mod = opts.modFromBytes;
      }
      const { nBitLength, nByteLength } = nLength(ORDER, _nbitLength);
      if (nByteLength > 2048)
        throw new Error("invalid field: expected ORDER of <= 2048 bytes");
      this.ORDER = ORDER;
      this.BITS = nBitLength;
      this.BYTES = nByteLength;
      Object.freeze(this);
    }
    create(num) {
      return mod(num, this.ORDER);
    }
    isValid(num) {
      if (typeof num !== "bigint")
        throw new TypeError("invalid field element: expected bigint, got " + typeof num);
      return _0n2 <= num && num < this.ORDER;
    }
    is0(num) {
      return num === _0n2;
    }
    // is valid and invertible
    isValidNot0(num) {
      return !this.is0(num) && this.isValid(num);
    }
    isOdd(num) {
      return (num & _1n2) === _1n2;
    }
    neg(num) {
      return mod(-num, this.ORDER);
    }
    eql(lhs, rhs) {
      return lhs === rhs;
    }
    sqr(num) {
      return mod(num * num, this.ORDER);
    }
    add(lhs, rhs) {
      return mod(lhs + rhs, this.ORDER);
    }
    sub(lhs, rhs) {
      return mod(lhs - rhs, this.ORDER);
    }
    mul(lhs, rhs) {
      return mod(lhs * rhs, this.ORDER);
    }
    pow(num, power) {
      return pow(num, power, this.ORDER);
    }
    div(lhs, rhs) {
      return mod(lhs * invert(rhs, this.ORDER), this.ORDER);
    }
    // Same as above, but doesn't normalize
    sqrN(num) {
      return num * num;
    }
    addN(lhs, rhs) {
      return lhs + rhs;
    }
    subN(lhs, rhs) {
      return lhs - rhs;
    }
    mulN(lhs, rhs) {
      return lhs * rhs;
    }
    inv(num) {
      return invert(num, this.ORDER);
    }
    sqrt(num) {
      let sqrt = FIELD_SQRT.get(this);
      if (!sqrt)
        FIELD_SQRT.set(this, sqrt = FpSqrt(this.ORDER));
      return sqrt(this, num);
    }
    toBytes(num) {
      return this.isLE ? numberToBytesLE(num, this.BYTES) : numberToBytesBE(num, this.BYTES);
    }
    fromBytes(bytes, skipValidation = false) {
      abytes2(bytes);
      const { _lengths: allowedLengths, BYTES, isLE, ORDER, _mod: modFromBytes } = this;
      if (allowedLengths) {
        if (bytes.length < 1 || !allowedLengths.includes(bytes.length) || bytes.length > BYTES) {
          throw new Error("Field.fromBytes: expected " + allowedLengths + " bytes, got " + bytes.length);
        }
        const padded = new Uint8Array(BYTES);
        padded.set(bytes, isLE ? 0 : padded.length - bytes.length);
        bytes = padded;
      }
      if (bytes.length !== BYTES)
        throw new Error("Field.fromBytes: expected " + BYTES + " bytes, got " + bytes.length);
      let scalar = isLE ? bytesToNumberLE(bytes) : bytesToNumberBE(bytes);
      if (modFromBytes)
        scalar = mod(scalar, ORDER);
      if (!skipValidation) {
        if (!this.isValid(scalar))
          throw new Error("invalid field element: outside of range 0..ORDER");
      }
      return scalar;
    }
    // TODO: we don't need it here, move out to separate fn
    invertBatch(lst) {
      return FpInvertBatch(this, lst, true);
    }
    // We can't move this out because Fp6, Fp12 implement it
    // and it's unclear what to return in there.
    cmov(a, b, condition) {
      abool(condition, "condition");
      return condition ? b : a;
    }
  };
  function Field(ORDER, opts = {}) {
    Object.freeze(_Field.prototype);
    return new _Field(ORDER, opts);
  }

  // node_modules/@noble/curves/abstract/curve.js
  /*! noble-curves - MIT License (c) 2022 Paul Miller (paulmillr.com) */
  var _0n3 = /* @__PURE__ */ BigInt(0);
  var _1n3 = /* @__PURE__ */ BigInt(1);
  var _4n2 = /* @__PURE__ */ BigInt(4);
  var BLIND_BYTES = 16;
  var BLIND_BITS = 128;
  var FW_WINDOW = 5;
  var TABLE_BYTES_MAX = /* @__PURE__ */ (() => 2 ** 31)();
  function validatePointCons(Point2) {
    const pc = Point2;
    if (typeof pc !== "function")
      throw new TypeError('"Point" expected constructor, got type=' + typeof Point2);
    afunction(pc.fromAffine, "Point.fromAffine");
    afunction(pc.fromBytes, "Point.fromBytes");
    afunction(pc.fromHex, "Point.fromHex");
    aobject2(pc.BASE, "Point.BASE");
    aobject2(pc.ZERO, "Point.ZERO");
    validateField(pc.Fp);
    validateField(pc.Fn);
  }
  function normalizeZ(c, points) {
    validatePointCons(c);
    validateMSMPoints(points, c);
    const invertedZs = FpInvertBatch(c.Fp, points.map((p) => p.Z));
    return points.map((p, i) => c.fromAffine(p.toAffine(invertedZs[i])));
  }
  function validateW(W, bits, min = 1) {
    if (!Number.isSafeInteger(W) || W < min || W > bits)
      throw new Error("invalid window size, expected [" + min + ".." + bits + "], got W=" + W);
  }
  function validateTableBytes(numPoints, fpBytes) {
    const bytes = numPoints * (4 * fpBytes + 128);
    if (bytes > TABLE_BYTES_MAX)
      throw new Error("invalid window size: table would need ~" + Math.ceil(bytes / 2 ** 20) + " MiB, max " + TABLE_BYTES_MAX / 2 ** 20 + " MiB");
  }
  function probeRandomBytes(randomBytes3, length) {
    if (randomBytes3 === void 0)
      return void 0;
    afunction(randomBytes3, "randomBytes");
    try {
      const probe = randomBytes3(length);
      if (!isBytes2(probe) || probe.length !== length)
        return void 0;
    } catch {
      return void 0;
    }
    return randomBytes3;
  }
  function validateMSMPoints(points, c) {
    aarray(points, "points");
    points.forEach((p, i) => {
      if (!(p instanceof c))
        throw new Error("invalid point at index " + i);
    });
  }
  function validateMSMScalars(scalars, field, maxScalar) {
    if (!Array.isArray(scalars))
      throw new Error("array of scalars expected");
    scalars.forEach((s, i) => {
      const ok = maxScalar === void 0 ? field.isValid(s) : isPosBig(s) && s < maxScalar;
      if (!ok)
        throw new Error("invalid scalar at index " + i);
    });
  }
  var pointWindowSizes = /* @__PURE__ */ new WeakMap();
  function getWindowSize(P2) {
    return pointWindowSizes.get(P2) || 1;
  }
  function oddMultiples(p, size) {
    const dbl = p.double();
    const t = [p];
    for (let j = 1; j < size; j++)
      t.push(t[j - 1].add(dbl));
    return t;
  }
  function wnafDigits(n, W) {
    const size = 2 ** W;
    const half = size / 2;
    const mask = BigInt(size - 1);
    const d = [];
    while (n > _0n3) {
      let w = 0;
      if (n & _1n3) {
        w = Number(n & mask);
        if (w >= half)
          w -= size;
        n -= BigInt(w);
      }
      d.push(w);
      n >>= _1n3;
    }
    return d;
  }
  function signedWindowDigits(n, W, windows) {
    const size = 2 ** W;
    const half = size / 2;
    const mask = BigInt(size - 1);
    const shiftBy = BigInt(W);
    const d = [];
    for (let w = 0; w < windows; w++) {
      let v = Number(n & mask);
      n >>= shiftBy;
      if (v > half) {
        v -= size;
        n += _1n3;
      }
      d.push(v);
    }
    if (n !== _0n3)
      throw new Error("invalid wnaf");
    return d;
  }
  function wnafWalk(zero, tables, digits) {
    let max = 0;
    for (const d of digits)
      max = Math.max(max, d.length);
    let acc = zero;
    for (let bit = max - 1; bit >= 0; bit--) {
      if (bit !== max - 1)
        acc = acc.double();
      for (let i = 0; i < digits.length; i++) {
        const w = digits[i][bit];
        if (w) {
          const item = tables[i][Math.abs(w) - 1 >> 1];
          acc = acc.add(w < 0 ? item.negate() : item);
        }
      }
    }
    return acc;
  }
  var ScalarMultiplier = class {
    // Parametrized with a given Point class (not individual point)
    constructor(Point2, randomBytes3) {
      __publicField(this, "Point");
      __publicField(this, "BASE");
      __publicField(this, "ZERO");
      __publicField(this, "randomBytes");
      __publicField(this, "wnafPrecomputes", /* @__PURE__ */ new WeakMap());
      __publicField(this, "baseCanBeBlinded");
      __publicField(this, "bits");
      validatePointCons(Point2);
      this.randomBytes = probeRandomBytes(randomBytes3, BLIND_BYTES);
      this.Point = Point2;
      this.BASE = Point2.BASE;
      this.ZERO = Point2.ZERO;
      this.bits = Point2.Fn.BITS;
    }
    /**
     * Creates a signed fixed-window wNAF precomputation table: for every window w, the
     * multiples `[1..2^(W−1)]⋅2^(w⋅W)⋅P`, flattened. All doublings are baked into the table,
     * so cached multiplication is additions-only. `windows = ceil(bits/W) + 1`: the extra
     * window absorbs the final carry of signed-digit recoding.
     * For a 256-bit curve and W=6, the table is 44⋅32 = 1408 points.
     * @param point - Point instance
     * @param W - window size
     * @param bits - scalar bitlength the table must cover
     */
    buildWnafTable(point, W, bits) {
      const windows = Math.ceil(bits / W) + 1;
      const half = 2 ** (W - 1);
      const comp = [];
      let base = point;
      for (let w = 0; w < windows; w++) {
        let acc = base;
        for (let i = 0; i < half; i++) {
          comp.push(acc);
          acc = acc.add(base);
        }
        base = comp[comp.length - 1].double();
      }
      return { W, bits, windows, comp };
    }
    /**
     * Implements ec multiplication using precomputed signed fixed-window wNAF tables.
     * Constant-time: fixed window count with one table addition per window — zero digits feed
     * the fake accumulator — and no doublings; the lookup scans the whole window slice.
     * Scalar bounds are validated by the public entry points ({@link ScalarMultiplier.mulCT},
     * {@link ScalarMultiplier.mulCTBlinded}, {@link ScalarMultiplier.mulUnsafe});
     * signedWindowDigits throws if `n` exceeds the table.
     * @returns real and fake (for const-time) points
     */
    wnafCachedCT(precomputes, n) {
      const { W, windows, comp } = precomputes;
      const half = 2 ** (W - 1);
      const digits = signedWindowDigits(n, W, windows);
      let p = this.ZERO;
      let f = this.BASE;
      for (let w = 0; w < windows; w++) {
        const digit = digits[w];
        const start2 = w * half;
        const idx = Math.abs(digit) - 1;
        let sel = comp[start2];
        for (let i = 1; i < half; i++)
          sel = i === idx ? comp[start2 + i] : sel;
        const neg = sel.negate();
        if (digit === 0)
          f = f.add(comp[start2]);
        else
          p = p.add(digit < 0 ? neg : sel);
      }
      return { p, f };
    }
    // Cache key is point identity plus (W, bits); at most two entries exist per point (public-width
    // `Fn.BITS` and blinded `Fn.BITS + BLIND_BITS`). Callers must not reuse the same point with
    // incompatible `transform(...)` layouts and expect a separate cache entry.
    getWnafPrecomputes(W, point, bits, transform) {
      let entries = this.wnafPrecomputes.get(point);
      let comp = entries?.find((entry) => entry.W === W && entry.bits === bits);
      if (!comp) {
        comp = this.buildWnafTable(point, W, bits);
        if (typeof transform === "function")
          comp = { ...comp, comp: transform(comp.comp) };
        if (!entries) {
          entries = [];
          this.wnafPrecomputes.set(point, entries);
        }
        entries.push(comp);
      }
      return comp;
    }
    assertPoint(point) {
      if (!(point instanceof this.Point))
        throw new TypeError('"point" expected Point instance, got type=' + typeof point);
    }
    // Shared prologue of the constant-time entry points. Rejects scalar 0: in key/signature-style
    // callers a zero scalar means broken upstream plumbing, and concrete Points already reject it.
    // Uses inRange instead of Fn.isValidNot0: validateField() only certifies the arithmetic subset.
    validateMulInput(point, scalar) {
      this.assertPoint(point);
      if (!inRange(scalar, _1n3, this.Point.Fn.ORDER))
        throw new Error("invalid scalar");
    }
    // Constant-time dispatch shared by mulCT / mulCTBlinded. Un-precomputed points (W===1, e.g.
    // ECDH peer keys) skip building a throwaway cached table in favor of a small fixed-window
    // multiply. `n` must be < 2^bits.
    runCT(point, n, bits, transform) {
      const W = getWindowSize(point);
      if (W === 1)
        return this.fixedWindowCT(point, n, bits);
      return this.wnafCachedCT(this.getWnafPrecomputes(W, point, bits, transform), n);
    }
    mulCT(point, scalar, transform) {
      this.validateMulInput(point, scalar);
      return this.runCT(point, scalar, this.bits, transform);
    }
    mulCTBlinded(point, scalar, transform) {
      this.validateMulInput(point, scalar);
      if (this.randomBytes === void 0)
        throw new Error("randomBytes is required for scalar blinding");
      const bits = this.Point.Fn.BITS + BLIND_BITS;
      const blind = this.randomBytes(BLIND_BYTES);
      if (!isBytes2(blind) || blind.length !== BLIND_BYTES)
        throw new Error("randomBytes returned invalid byte array");
      blind[0] = blind[0] & 63 | 128;
      const n = scalar + bytesToNumberBE(blind) * this.Point.Fn.ORDER;
      return this.runCT(point, n, bits, transform);
    }
    /**
     * Constant-time multiplication `n*point` for an un-precomputed point, via a small fixed window.
     * A cached wNAF table only pays off when reused; a flat 2^FW_WINDOW table (`size-1` adds) is
     * far cheaper to build for a single use. The point-operation sequence is independent of `n`:
     * build the table, then per window exactly FW_WINDOW doublings, a data-oblivious scan over
     * every table entry, and one addition (adds the identity when the window digit is 0 — never
     * skipped).
     *
     * `n` must be `< 2^bits`. Assumes complete addition (adding the identity costs the same as any
     * add), which holds for the Weierstrass/Edwards point types used here. The table is left in
     * projective form (no normalizeZ): normalizing this small a table costs more than the
     * mixed-add savings it would buy for a single multiply.
     * @returns real point `p`; `f` duplicates it only to match {@link wnafCachedCT}'s return shape
     * (this path needs no fake accumulator — its op-count is already scalar-independent).
     */
    fixedWindowCT(point, n, bits) {
      const W = FW_WINDOW;
      const size = 1 << W;
      const mask = bitMask(W);
      const table = new Array(size);
      table[0] = this.ZERO;
      for (let i = 1; i < size; i++)
        table[i] = table[i - 1].add(point);
      const windows = Math.ceil(bits / W);
      let acc = this.ZERO;
      for (let window = windows - 1; window >= 0; window--) {
        if (window !== windows - 1)
          for (let d = 0; d < W; d++)
            acc = acc.double();
        const digit = Number(n >> BigInt(window * W) & mask);
        let sel = table[0];
        for (let i = 1; i < size; i++)
          sel = i === digit ? table[i] : sel;
        acc = acc.add(sel);
      }
      return { p: acc, f: acc };
    }
    shouldBlind(point, cofactor) {
      if (this.randomBytes === void 0)
        return false;
      if (cofactor === _1n3)
        return true;
      if (point !== this.BASE)
        return false;
      if (this.baseCanBeBlinded === void 0)
        this.baseCanBeBlinded = this.mulUnsafe(this.BASE, this.Point.Fn.ORDER).is0();
      return this.baseCanBeBlinded;
    }
    mulSecret(point, scalar, cofactor, transform) {
      return this.shouldBlind(point, cofactor) ? this.mulCTBlinded(point, scalar, transform) : this.mulCT(point, scalar, transform);
    }
    mulUnsafe(point, scalar, transform) {
      this.assertPoint(point);
      if (!isPosBig(scalar))
        throw new Error("invalid scalar");
      const W = getWindowSize(point);
      if (W === 1 || scalar >= this.Point.Fn.ORDER)
        return mulAddUnsafe(this.Point, [point], [scalar], true);
      const precomputes = this.getWnafPrecomputes(W, point, this.bits, transform);
      return this.wnafCachedCT(precomputes, scalar).p;
    }
    // Remembers the window size used for precomputed wNAF multiplication of the given point
    // and drops any previously built tables. Usually only the base point is precomputed.
    // W=1 resets the point to the un-precomputed (table-less) paths.
    // W is additionally capped so tables stay under ~2 GiB ({@link TABLE_BYTES_MAX}).
    setWindowSize(point, W) {
      this.assertPoint(point);
      validateW(W, this.bits);
      const windows = Math.ceil((this.bits + BLIND_BITS) / W) + 1;
      validateTableBytes(windows * 2 ** (W - 1), this.Point.Fp.BYTES);
      pointWindowSizes.set(point, W);
      this.wnafPrecomputes.delete(point);
    }
    // True when a window size is set: tables themselves are built lazily on first multiply.
    hasWindowSize(point) {
      return getWindowSize(point) !== 1;
    }
  };
  function mulAddUnsafe(c, points, scalars, allowOversized = false) {
    validatePointCons(c);
    validateMSMPoints(points, c);
    abool(allowOversized, "allowOversized");
    validateMSMScalars(scalars, c.Fn, allowOversized ? c.Fn.ORDER ** _4n2 : void 0);
    if (points.length !== scalars.length)
      throw new Error("arrays of points and scalars must have equal length");
    const tables = points.map((p) => oddMultiples(p, 4));
    const digits = scalars.map((n) => wnafDigits(n, 4));
    return wnafWalk(c.ZERO, tables, digits);
  }
  function createField(order, field, isLE) {
    if (field) {
      if (field.ORDER !== order)
        throw new Error("Field.ORDER must match order: Fp == p, Fn == n");
      validateField(field);
      return field;
    } else {
      return Field(order, { isLE });
    }
  }
  function createCurveFields(type, CURVE, curveOpts = {}, FpFnLE) {
    if (type !== "weierstrass" && type !== "edwards")
      throw new Error('expected curve type "weierstrass" or "edwards"');
    if (FpFnLE === void 0)
      FpFnLE = type === "edwards";
    if (!CURVE || typeof CURVE !== "object")
      throw new Error(`expected valid ${type} CURVE object`);
    validateObject(curveOpts);
    for (const p of ["p", "n", "h"]) {
      const val = CURVE[p];
      if (!(isPosBig(val) && val !== _0n3))
        throw new Error(`CURVE.${p} must be positive bigint`);
    }
    const Fp2 = createField(CURVE.p, curveOpts.Fp, FpFnLE);
    const Fn3 = createField(CURVE.n, curveOpts.Fn, FpFnLE);
    const _b = type === "weierstrass" ? "b" : "d";
    const params = ["Gx", "Gy", "a", _b];
    for (const p of params) {
      if (!Fp2.isValid(CURVE[p]))
        throw new Error(`CURVE.${p} must be valid field element of CURVE.Fp`);
    }
    CURVE = Object.freeze(Object.assign({}, CURVE));
    return { CURVE, Fp: Fp2, Fn: Fn3 };
  }

  // node_modules/@noble/curves/abstract/edwards.js
  /*! noble-curves - MIT License (c) 2022 Paul Miller (paulmillr.com) */
  var _0n4 = /* @__PURE__ */ BigInt(0);
  var _1n4 = /* @__PURE__ */ BigInt(1);
  var _2n2 = /* @__PURE__ */ BigInt(2);
  var _4n3 = /* @__PURE__ */ BigInt(4);
  var _8n2 = /* @__PURE__ */ BigInt(8);
  function isEdValidXY(Fp2, CURVE, x, y) {
    const x2 = Fp2.sqr(x);
    const y2 = Fp2.sqr(y);
    const left = Fp2.add(Fp2.mul(CURVE.a, x2), y2);
    const right = Fp2.add(Fp2.ONE, Fp2.mul(CURVE.d, Fp2.mul(x2, y2)));
    return Fp2.eql(left, right);
  }
  function edwards(params, extraOpts = {}) {
    validateObject(extraOpts, {}, {}, "extraOpts");
    const opts = extraOpts;
    const validated = createCurveFields("edwards", params, opts, opts.FpFnLE);
    const { Fp: Fp2, Fn: Fn3 } = validated;
    let CURVE = validated.CURVE;
    const { h: cofactor } = CURVE;
    if (FpLegendre(Fp2, CURVE.a) !== 1)
      throw new Error("edwards: CURVE.a must be a square in Fp for complete addition formulas");
    if (FpLegendre(Fp2, CURVE.d) !== -1)
      throw new Error("edwards: CURVE.d must be a non-square in Fp for complete addition formulas");
    validateObject(opts, {}, { uvRatio: "function", randomBytes: "function" });
    const randomBytes3 = opts.randomBytes === void 0 ? randomBytes2 : opts.randomBytes;
    const MASK = _2n2 << BigInt(Fp2.BYTES * 8) - _1n4;
    function isOdd(n) {
      if (!Fp2.isOdd)
        throw new Error("Field does not have .isOdd()");
      return Fp2.isOdd(n);
    }
    const uvRatio2 = opts.uvRatio === void 0 ? (u, v) => {
      try {
        return { isValid: true, value: Fp2.sqrt(Fp2.div(u, v)) };
      } catch (e) {
        return { isValid: false, value: _0n4 };
      }
    } : opts.uvRatio;
    if (!isEdValidXY(Fp2, CURVE, CURVE.Gx, CURVE.Gy))
      throw new Error("bad curve params: generator point");
    const mulA = Fp2.eql(CURVE.a, Fp2.neg(Fp2.ONE)) ? (x) => Fp2.neg(x) : Fp2.eql(CURVE.a, Fp2.ONE) ? (x) => x : (x) => Fp2.mul(CURVE.a, x);
    function acoord(title, n, banZero = false) {
      const min = banZero ? _1n4 : _0n4;
      aInRange("coordinate " + title, n, min, MASK);
      return n;
    }
    function aedpoint(other) {
      if (!(other instanceof Point2))
        throw new Error("EdwardsPoint expected");
    }
    const _Point = class _Point {
      constructor(X, Y, Z, T) {
        __publicField(this, "X");
        __publicField(this, "Y");
        __publicField(this, "Z");
        __publicField(this, "T");
        this.X = acoord("x", X);
        this.Y = acoord("y", Y);
        this.Z = acoord("z", Z, true);
        this.T = acoord("t", T);
        Object.freeze(this);
      }
      static CURVE() {
        return CURVE;
      }
      /**
       * Create one extended Edwards point from affine coordinates.
       * Does NOT validate that the point is on-curve or torsion-free.
       * Use `.assertValidity()` on adversarial inputs.
       */
      static fromAffine(p) {
        if (p instanceof _Point)
          throw new Error("extended point not allowed");
        const { x, y } = p || {};
        acoord("x", x);
        acoord("y", y);
        return new _Point(x, y, Fp2.ONE, Fp2.mul(x, y));
      }
      // Uses algo from RFC8032 5.1.3.
      static fromBytes(bytes, zip215 = false) {
        const len = Fp2.BYTES;
        const { a, d } = CURVE;
        bytes = copyBytes(abytes2(bytes, len, "point"));
        abool(zip215, "zip215");
        const normed = copyBytes(bytes);
        const lastByte = bytes[len - 1];
        normed[len - 1] = lastByte & ~128;
        const y = bytesToNumberLE(normed);
        const max = zip215 ? MASK : Fp2.ORDER;
        aInRange("point.y", y, _0n4, max);
        const y2 = Fp2.sqr(y);
        const u = Fp2.sub(y2, Fp2.ONE);
        const v = Fp2.sub(Fp2.mulN(d, y2), a);
        let { isValid, value: x } = uvRatio2(u, v);
        if (!isValid)
          throw new Error("bad point: invalid y coordinate");
        const isXOdd = isOdd(x);
        const isLastByteOdd = (lastByte & 128) !== 0;
        if (!zip215 && Fp2.is0(x) && isLastByteOdd)
          throw new Error("bad point: x=0 and x_0=1");
        if (isLastByteOdd !== isXOdd)
          x = Fp2.neg(x);
        return _Point.fromAffine({ x, y });
      }
      static fromHex(hex, zip215 = false) {
        return _Point.fromBytes(hexToBytes2(hex), zip215);
      }
      get x() {
        return this.toAffine().x;
      }
      get y() {
        return this.toAffine().y;
      }
      precompute(windowSize = 6, isLazy = true) {
        wnaf.setWindowSize(this, windowSize);
        if (!isLazy)
          this.multiply(_2n2);
        return this;
      }
      // Useful in fromAffine() - not for fromBytes(), which always created valid points.
      assertValidity() {
        const p = this;
        const { a, d } = CURVE;
        if (p.is0())
          throw new Error("bad point: ZERO");
        const { X, Y, Z, T } = p;
        const X2 = Fp2.sqr(X);
        const Y2 = Fp2.sqr(Y);
        const Z2 = Fp2.sqr(Z);
        const Z4 = Fp2.sqr(Z2);
        const aX2 = Fp2.mul(X2, a);
        const left = Fp2.mul(Fp2.add(aX2, Y2), Z2);
        const right = Fp2.add(Z4, Fp2.mul(d, Fp2.mul(X2, Y2)));
        if (!Fp2.eql(left, right))
          throw new Error("bad point: equation left != right (1)");
        const XY = Fp2.mul(X, Y);
        const ZT = Fp2.mul(Z, T);
        if (!Fp2.eql(XY, ZT))
          throw new Error("bad point: equation left != right (2)");
      }
      // Compare one point to another.
      equals(other) {
        aedpoint(other);
        const { X: X1, Y: Y1, Z: Z1 } = this;
        const { X: X2, Y: Y2, Z: Z2 } = other;
        const X1Z2 = Fp2.mul(X1, Z2);
        const X2Z1 = Fp2.mul(X2, Z1);
        const Y1Z2 = Fp2.mul(Y1, Z2);
        const Y2Z1 = Fp2.mul(Y2, Z1);
        return Fp2.eql(X1Z2, X2Z1) && Fp2.eql(Y1Z2, Y2Z1);
      }
      is0() {
        return this.equals(_Point.ZERO);
      }
      negate() {
        return new _Point(Fp2.neg(this.X), this.Y, this.Z, Fp2.neg(this.T));
      }
      // Fast algo for doubling Extended Point.
      // https://hyperelliptic.org/EFD/g1p/auto-twisted-extended.html#doubling-dbl-2008-hwcd
      // Cost: 4M + 4S + 1*a + 6add + 1*2.
      double() {
        const { X: X1, Y: Y1, Z: Z1 } = this;
        const A = Fp2.sqr(X1);
        const B = Fp2.sqr(Y1);
        const C = Fp2.mul(Fp2.sqr(Z1), _2n2);
        const D = mulA(A);
        const x1y1 = Fp2.addN(X1, Y1);
        const E = Fp2.sub(Fp2.subN(Fp2.sqr(x1y1), A), B);
        const G2 = Fp2.addN(D, B);
        const F = Fp2.subN(G2, C);
        const H = Fp2.subN(D, B);
        const X3 = Fp2.mul(E, F);
        const Y3 = Fp2.mul(G2, H);
        const T3 = Fp2.mul(E, H);
        const Z3 = Fp2.mul(F, G2);
        return new _Point(X3, Y3, Z3, T3);
      }
      // Fast algo for adding 2 Extended Points.
      // https://hyperelliptic.org/EFD/g1p/auto-twisted-extended.html#addition-add-2008-hwcd
      // Cost: 9M + 1*a + 1*d + 7add.
      add(other) {
        aedpoint(other);
        const { d } = CURVE;
        const { X: X1, Y: Y1, Z: Z1, T: T1 } = this;
        const { X: X2, Y: Y2, Z: Z2, T: T2 } = other;
        const A = Fp2.mul(X1, X2);
        const B = Fp2.mul(Y1, Y2);
        const C = Fp2.mul(Fp2.mulN(T1, d), T2);
        const D = Fp2.mul(Z1, Z2);
        const E = Fp2.sub(Fp2.subN(Fp2.mulN(Fp2.addN(X1, Y1), Fp2.addN(X2, Y2)), A), B);
        const F = Fp2.subN(D, C);
        const G2 = Fp2.addN(D, C);
        const H = Fp2.sub(B, mulA(A));
        const X3 = Fp2.mul(E, F);
        const Y3 = Fp2.mul(G2, H);
        const T3 = Fp2.mul(E, H);
        const Z3 = Fp2.mul(F, G2);
        return new _Point(X3, Y3, Z3, T3);
      }
      subtract(other) {
        aedpoint(other);
        return this.add(other.negate());
      }
      // Constant-time multiplication.
      multiply(scalar) {
        if (!Fn3.isValidNot0(scalar))
          throw new RangeError("invalid scalar: expected 1 <= sc < curve.n");
        const { p, f } = wnaf.mulSecret(this, scalar, cofactor, normalize);
        return normalize([p, f])[0];
      }
      // Non-constant-time multiplication. Uses double-and-add algorithm.
      // It's faster, but should only be used when you don't care about
      // an exposed private key e.g. sig verification.
      // Keeps the same subgroup-scalar contract: 0 is allowed for public-scalar callers, but
      // n and larger values are rejected instead of being reduced mod n to the identity point.
      multiplyUnsafe(scalar) {
        if (!Fn3.isValid(scalar))
          throw new RangeError("invalid scalar: expected 0 <= sc < curve.n");
        if (scalar === _0n4)
          return _Point.ZERO;
        if (this.is0() || scalar === _1n4)
          return this;
        return wnaf.mulUnsafe(this, scalar, normalize);
      }
      // Checks if point is of small order.
      // If you add something to small order point, you will have "dirty"
      // point with torsion component.
      // Clears cofactor and checks if the result is 0.
      isSmallOrder() {
        return this.clearCofactor().is0();
      }
      // Multiplies point by curve order and checks if the result is 0.
      // Returns `false` is the point is dirty.
      isTorsionFree() {
        return wnaf.mulUnsafe(this, CURVE.n).is0();
      }
      // Converts Extended point to default (x, y) coordinates.
      // Can accept precomputed Z^-1 - for example, from invertBatch.
      toAffine(invertedZ) {
        const p = this;
        let iz = invertedZ;
        if (iz != null && typeof iz !== "bigint")
          throw new TypeError('"invertedZ" expected bigint, got type=' + typeof iz);
        const { X, Y, Z } = p;
        const is0 = p.is0();
        if (iz == null)
          iz = is0 ? Fp2.create(_8n2) : Fp2.inv(Z);
        const x = Fp2.mul(X, iz);
        const y = Fp2.mul(Y, iz);
        const zz = Fp2.mul(Z, iz);
        if (is0)
          return { x: Fp2.ZERO, y: Fp2.ONE };
        if (!Fp2.eql(zz, Fp2.ONE))
          throw new Error("invZ was invalid");
        return { x, y };
      }
      clearCofactor() {
        if (cofactor === _1n4)
          return this;
        if (cofactor === _2n2)
          return this.double();
        if (cofactor === _4n3)
          return this.double().double();
        if (cofactor === _8n2)
          return this.double().double().double();
        return this.multiplyUnsafe(cofactor);
      }
      toBytes() {
        const { x, y } = this.toAffine();
        const bytes = Fp2.toBytes(y);
        bytes[bytes.length - 1] |= isOdd(x) ? 128 : 0;
        return bytes;
      }
      toHex() {
        return bytesToHex2(this.toBytes());
      }
      toString() {
        return `<Point ${this.is0() ? "ZERO" : this.toHex()}>`;
      }
    };
    __publicField(_Point, "BASE", new _Point(CURVE.Gx, CURVE.Gy, Fp2.ONE, Fp2.mul(CURVE.Gx, CURVE.Gy)));
    __publicField(_Point, "ZERO", new _Point(Fp2.ZERO, Fp2.ONE, Fp2.ONE, Fp2.ZERO));
    __publicField(_Point, "Fp", Fp2);
    __publicField(_Point, "Fn", Fn3);
    let Point2 = _Point;
    const normalize = (points) => normalizeZ(Point2, points);
    const wnaf = new ScalarMultiplier(Point2, randomBytes3);
    if (wnaf.bits >= 6)
      Point2.BASE.precompute(6);
    Object.freeze(Point2.prototype);
    Object.freeze(Point2);
    return Point2;
  }
  var PrimeEdwardsPoint = class {
    /**
     * Wrap one internal Edwards representative directly.
     * This is not a canonical encoding boundary: alternate Edwards
     * representatives may still describe the same abstract wrapper element.
     */
    constructor(ep) {
      __publicField(this, "ep");
      this.ep = ep;
    }
    // Static methods that must be implemented by subclasses
    static fromBytes(_bytes) {
      notImplemented();
    }
    static fromHex(_hex) {
      notImplemented();
    }
    get x() {
      return this.toAffine().x;
    }
    get y() {
      return this.toAffine().y;
    }
    // Common implementations
    clearCofactor() {
      return this;
    }
    assertValidity() {
      this.ep.assertValidity();
    }
    /**
     * Return affine coordinates of the current internal Edwards representative.
     * This is a convenience helper, not a canonical Ristretto/Decaf encoding.
     * Equal abstract elements may expose different `x` / `y`; use
     * `toBytes()` / `fromBytes()` for canonical roundtrips.
     */
    toAffine(invertedZ) {
      return this.ep.toAffine(invertedZ);
    }
    toHex() {
      return bytesToHex2(this.toBytes());
    }
    toString() {
      return this.toHex();
    }
    isTorsionFree() {
      return true;
    }
    isSmallOrder() {
      return false;
    }
    add(other) {
      this.assertSame(other);
      return this.init(this.ep.add(other.ep));
    }
    subtract(other) {
      this.assertSame(other);
      return this.init(this.ep.subtract(other.ep));
    }
    multiply(scalar) {
      return this.init(this.ep.multiply(scalar));
    }
    multiplyUnsafe(scalar) {
      return this.init(this.ep.multiplyUnsafe(scalar));
    }
    double() {
      return this.init(this.ep.double());
    }
    negate() {
      return this.init(this.ep.negate());
    }
    precompute(windowSize, isLazy) {
      this.ep.precompute(windowSize, isLazy);
      return this;
    }
  };
  __publicField(PrimeEdwardsPoint, "BASE");
  __publicField(PrimeEdwardsPoint, "ZERO");
  __publicField(PrimeEdwardsPoint, "Fp");
  __publicField(PrimeEdwardsPoint, "Fn");

  // node_modules/@noble/curves/ed25519.js
  /*! noble-curves - MIT License (c) 2022 Paul Miller (paulmillr.com) */
  var _1n5 = /* @__PURE__ */ BigInt(1);
  var _2n3 = /* @__PURE__ */ BigInt(2);
  var _5n2 = /* @__PURE__ */ BigInt(5);
  var _8n3 = /* @__PURE__ */ BigInt(8);
  var ed25519_CURVE_p = /* @__PURE__ */ BigInt("0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed");
  var ed25519_CURVE = /* @__PURE__ */ (() => ({
    p: ed25519_CURVE_p,
    n: BigInt("0x1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed"),
    h: _8n3,
    a: BigInt("0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffec"),
    d: BigInt("0x52036cee2b6ffe738cc740797779e89800700a4d4141d8ab75eb4dca135978a3"),
    Gx: BigInt("0x216936d3cd6e53fec0a4e231fdd6dc5c692cc7609525a7b2c9562d608f25d51a"),
    Gy: BigInt("0x6666666666666666666666666666666666666666666666666666666666666658")
  }))();
  function ed25519_pow_2_252_3(x) {
    const _10n = BigInt(10), _20n = BigInt(20), _40n = BigInt(40), _80n = BigInt(80);
    const P2 = ed25519_CURVE_p;
    const x2 = x * x % P2;
    const b2 = x2 * x % P2;
    const b4 = pow2(b2, _2n3, P2) * b2 % P2;
    const b5 = pow2(b4, _1n5, P2) * x % P2;
    const b10 = pow2(b5, _5n2, P2) * b5 % P2;
    const b20 = pow2(b10, _10n, P2) * b10 % P2;
    const b40 = pow2(b20, _20n, P2) * b20 % P2;
    const b80 = pow2(b40, _40n, P2) * b40 % P2;
    const b160 = pow2(b80, _80n, P2) * b80 % P2;
    const b240 = pow2(b160, _80n, P2) * b80 % P2;
    const b250 = pow2(b240, _10n, P2) * b10 % P2;
    const pow_p_5_8 = pow2(b250, _2n3, P2) * x % P2;
    return { pow_p_5_8, b2 };
  }
  var ED25519_SQRT_M1 = /* @__PURE__ */ BigInt("19681161376707505956807079304988542015446066515923890162744021073123829784752");
  function uvRatio(u, v) {
    const P2 = ed25519_CURVE_p;
    const v3 = mod(v * v * v, P2);
    const v7 = mod(v3 * v3 * v, P2);
    const pow3 = ed25519_pow_2_252_3(u * v7).pow_p_5_8;
    let x = mod(u * v3 * pow3, P2);
    const vx2 = mod(v * x * x, P2);
    const root1 = x;
    const root2 = mod(x * ED25519_SQRT_M1, P2);
    const useRoot1 = vx2 === u;
    const useRoot2 = vx2 === mod(-u, P2);
    const noRoot = vx2 === mod(-u * ED25519_SQRT_M1, P2);
    if (useRoot1)
      x = root1;
    if (useRoot2 || noRoot)
      x = root2;
    if (isNegativeLE(x, P2))
      x = mod(-x, P2);
    return { isValid: useRoot1 || useRoot2, value: x };
  }
  var ed25519_Point = /* @__PURE__ */ edwards(ed25519_CURVE, { uvRatio });
  var Fp = /* @__PURE__ */ (() => ed25519_Point.Fp)();
  var Fn = /* @__PURE__ */ (() => ed25519_Point.Fn)();
  var SQRT_M1 = ED25519_SQRT_M1;
  var INVSQRT_A_MINUS_D = /* @__PURE__ */ BigInt("54469307008909316920995813868745141605393597292927456921205312896311721017578");
  var invertSqrt = (number) => uvRatio(_1n5, number);
  var MAX_255B = /* @__PURE__ */ BigInt("0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
  var bytes255ToNumberLE = (bytes) => Fp.create(bytesToNumberLE(bytes) & MAX_255B);
  var __RistrettoPoint = class __RistrettoPoint extends PrimeEdwardsPoint {
    constructor(ep) {
      super(ep);
    }
    /**
     * Create one Ristretto255 point from affine Edwards coordinates.
     * This wraps the internal Edwards representative directly and is not a
     * canonical ristretto255 decoding path.
     * Use `toBytes()` / `fromBytes()` if canonical ristretto255 bytes matter.
     */
    static fromAffine(ap) {
      return new __RistrettoPoint(ed25519_Point.fromAffine(ap));
    }
    assertSame(other) {
      if (!(other instanceof __RistrettoPoint))
        throw new Error("RistrettoPoint expected");
    }
    init(ep) {
      return new __RistrettoPoint(ep);
    }
    static fromBytes(bytes) {
      abytes(bytes, 32);
      const { a, d } = ed25519_CURVE;
      const s = bytes255ToNumberLE(bytes);
      if (!equalBytes(Fp.toBytes(s), bytes) || Fp.isOdd(s))
        throw new Error("invalid ristretto255 encoding 1");
      const s2 = Fp.sqr(s);
      const u1 = Fp.add(_1n5, Fp.mulN(a, s2));
      const u2 = Fp.sub(_1n5, Fp.mulN(a, s2));
      const u1_2 = Fp.sqr(u1);
      const u2_2 = Fp.sqr(u2);
      const v = Fp.sub(Fp.mulN(Fp.mulN(a, d), u1_2), u2_2);
      const { isValid, value: I } = invertSqrt(Fp.mul(v, u2_2));
      const Dx = Fp.mul(I, u2);
      const Dy = Fp.mul(Fp.mulN(I, Dx), v);
      let x = Fp.mul(Fp.addN(s, s), Dx);
      if (Fp.isOdd(x))
        x = Fp.neg(x);
      const y = Fp.mul(u1, Dy);
      const t = Fp.mul(x, y);
      if (!isValid || Fp.isOdd(t) || Fp.is0(y))
        throw new Error("invalid ristretto255 encoding 2");
      return new __RistrettoPoint(new ed25519_Point(x, y, Fp.ONE, t));
    }
    /**
     * Converts ristretto-encoded string to ristretto point.
     * Described in [RFC9496](https://www.rfc-editor.org/rfc/rfc9496#name-decode).
     * @param hex - Ristretto-encoded 32 bytes. Not every 32-byte string is valid ristretto encoding
     */
    static fromHex(hex) {
      return __RistrettoPoint.fromBytes(hexToBytes(hex));
    }
    /**
     * Encodes ristretto point to Uint8Array.
     * Described in [RFC9496](https://www.rfc-editor.org/rfc/rfc9496#name-encode).
     */
    toBytes() {
      let { X, Y, Z, T } = this.ep;
      const u1 = Fp.mul(Fp.add(Z, Y), Fp.sub(Z, Y));
      const u2 = Fp.mul(X, Y);
      const u2sq = Fp.sqr(u2);
      const { value: invsqrt } = invertSqrt(Fp.mul(u1, u2sq));
      const D1 = Fp.mul(invsqrt, u1);
      const D2 = Fp.mul(invsqrt, u2);
      const zInv = Fp.mul(Fp.mulN(D1, D2), T);
      let D;
      if (Fp.isOdd(Fp.mul(T, zInv))) {
        let _x = Fp.mul(Y, SQRT_M1);
        let _y = Fp.mul(X, SQRT_M1);
        X = _x;
        Y = _y;
        D = Fp.mul(D1, INVSQRT_A_MINUS_D);
      } else {
        D = D2;
      }
      if (Fp.isOdd(Fp.mul(X, zInv)))
        Y = Fp.neg(Y);
      let s = Fp.mul(Fp.subN(Z, Y), D);
      if (Fp.isOdd(s))
        s = Fp.neg(s);
      return Fp.toBytes(s);
    }
    /**
     * Compares two Ristretto points.
     * Described in [RFC9496](https://www.rfc-editor.org/rfc/rfc9496#name-equals).
     */
    equals(other) {
      this.assertSame(other);
      const { X: X1, Y: Y1 } = this.ep;
      const { X: X2, Y: Y2 } = other.ep;
      const one = Fp.eql(Fp.mul(X1, Y2), Fp.mul(Y1, X2));
      const two = Fp.eql(Fp.mul(Y1, Y2), Fp.mul(X1, X2));
      return one || two;
    }
    is0() {
      return this.equals(__RistrettoPoint.ZERO);
    }
  };
  // Do NOT change syntax: the following gymnastics is done,
  // because typescript strips comments, which makes bundlers disable tree-shaking.
  // prettier-ignore
  __publicField(__RistrettoPoint, "BASE", /* @__PURE__ */ (() => new __RistrettoPoint(ed25519_Point.BASE))());
  // prettier-ignore
  __publicField(__RistrettoPoint, "ZERO", /* @__PURE__ */ (() => new __RistrettoPoint(ed25519_Point.ZERO))());
  // prettier-ignore
  __publicField(__RistrettoPoint, "Fp", /* @__PURE__ */ (() => Fp)());
  // prettier-ignore
  __publicField(__RistrettoPoint, "Fn", /* @__PURE__ */ (() => Fn)());
  var _RistrettoPoint = __RistrettoPoint;
  var ristretto255 = /* @__PURE__ */ (() => {
    Object.freeze(_RistrettoPoint.BASE);
    Object.freeze(_RistrettoPoint.ZERO);
    Object.freeze(_RistrettoPoint.prototype);
    Object.freeze(_RistrettoPoint);
    return Object.freeze({ Point: _RistrettoPoint });
  })();

  // src/group.js
  var Point = ristretto255.Point;
  var Fn2 = Point.Fn;
  var ELL = Fn2.ORDER;
  var IDENTITY = Point.ZERO;
  var TABLE_WINDOW = 8;
  var G = Point.fromBytes(Point.BASE.toBytes()).precompute(TABLE_WINDOW);
  var HEX = /^[0-9a-f]*$/;
  function hexBytes(hex, bytes, path) {
    if (typeof hex !== "string" || hex.length !== 2 * bytes || !HEX.test(hex)) {
      throw new Refused("format", path, `expected ${2 * bytes} lower-case hex digits`, "hex");
    }
    const out = new Uint8Array(bytes);
    for (let i = 0; i < bytes; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return out;
  }
  function toHex(bytes) {
    let s = "";
    for (const b of bytes) s += b.toString(16).padStart(2, "0");
    return s;
  }
  var P = 2n ** 255n - 19n;
  function decodeElement(hex, path, { nonIdentity = false } = {}) {
    const bytes = hexBytes(hex, 32, path);
    const s = bytesToNumberLE(bytes);
    if (s >= P) throw new Refused("format", path, "not a canonical encoding (the field element is at least 2^255 - 19)", "non-canonical");
    if (s & 1n) throw new Refused("format", path, "not a canonical encoding (the field element is negative)", "negative");
    let point;
    try {
      point = Point.fromBytes(bytes);
    } catch {
      throw new Refused("format", path, "not an element of ristretto255 (RFC 9496 decoding fails)", "not-in-group");
    }
    if (nonIdentity && point.is0()) {
      throw new Refused("format", path, "the identity element is not allowed here", "identity");
    }
    return point;
  }
  function elementBytes(point) {
    return point.toBytes();
  }
  function decodeScalar(hex, path) {
    const bytes = hexBytes(hex, 32, path);
    const s = bytesToNumberLE(bytes);
    if (s >= ELL) throw new Refused("format", path, "not a canonical scalar (at least the group order)", "non-canonical");
    return s;
  }
  function encodeScalar(s) {
    return toHex(Fn2.toBytes(s));
  }
  function scalarFromWide(bytes64) {
    if (bytes64.length !== 64) throw new Error("wide reduction takes exactly 64 bytes");
    return Fn2.create(bytesToNumberLE(bytes64));
  }
  function randomScalar(random) {
    for (; ; ) {
      const s = scalarFromWide(random(64));
      if (s !== 0n) return s;
    }
  }
  function mul(point, s) {
    const s1 = Fn2.add(s, 1n);
    if (s1 === 0n) return point.negate();
    return point.multiply(s1).subtract(point);
  }
  function gPow(m) {
    return G.multiplyUnsafe(BigInt(m));
  }

  // src/elgamal.js
  function prepareKey(h) {
    return h.precompute(TABLE_WINDOW);
  }
  function encrypt(h, m, r) {
    return { alpha: mul(G, r), beta: mul(h, r).add(mul(G, BigInt(m))) };
  }
  function combine(x, y) {
    return { alpha: x.alpha.add(y.alpha), beta: x.beta.add(y.beta) };
  }

  // src/hash.js
  var TAGS = Object.freeze({
    fingerprint: "teller/election-fingerprint/v1",
    encryptionNonce: "teller/encryption-nonce/v1",
    selectionProof: "teller/selection-proof/v1",
    contestProof: "teller/contest-proof/v1"
  });
  var utf82 = new TextEncoder();
  function u32be(n) {
    if (!Number.isInteger(n) || n < 0 || n > 4294967295) throw new Error(`not a u32: ${n}`);
    return Uint8Array.of(n >>> 24, n >>> 16 & 255, n >>> 8 & 255, n & 255);
  }
  function frame(bytes) {
    const out = new Uint8Array(4 + bytes.length);
    out.set(u32be(bytes.length), 0);
    out.set(bytes, 4);
    return out;
  }
  var str = (s) => [frame(utf82.encode(s))];
  var u32 = (n) => [frame(u32be(n))];
  var raw = (b) => [frame(Uint8Array.from(b))];
  var elt = (p) => [frame(p instanceof Uint8Array ? p : elementBytes(p))];
  var list = (entries) => [
    ...u32(entries.length),
    ...entries.flatMap((e) => Array.isArray(e[0]) ? e.flat() : e)
  ];
  function framed(tag, items) {
    const parts = [...str(tag), ...items.flat()];
    let length = 0;
    for (const p of parts) length += p.length;
    const out = new Uint8Array(length);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
  function H256(tag, items) {
    return sha256(framed(tag, items));
  }
  function HS(tag, items) {
    return scalarFromWide(sha512(framed(tag, items)));
  }

  // src/fingerprint.js
  function definitionHash(definition) {
    return sha256(canonicalBytes(definition));
  }
  function fingerprint(input) {
    return H256(TAGS.fingerprint, fingerprintItems(input));
  }
  function fingerprintItems({ election, definitionHash: definitionHash2, threshold, jointKey, verificationKeys }) {
    for (let i = 1; i < verificationKeys.length; i++) {
      if (verificationKeys[i].trustee <= verificationKeys[i - 1].trustee) {
        throw new Error("verification keys must be listed by increasing trustee index");
      }
    }
    return [
      str(election),
      raw(definitionHash2),
      str("ristretto255"),
      u32(threshold),
      elt(jointKey),
      list(verificationKeys.map(({ trustee, key }) => [u32(trustee), elt(key)]))
    ];
  }

  // src/nonces.js
  function optionNonce(fp, nonce, seed, contest, option) {
    return HS(TAGS.encryptionNonce, nonceItems(fp, nonce, seed, contest, "option", option));
  }
  function indicatorNonce(fp, nonce, seed, contest) {
    return HS(TAGS.encryptionNonce, nonceItems(fp, nonce, seed, contest, "indicator", ""));
  }
  function nonceItems(fp, nonce, seed, contest, kind, option) {
    return [raw(fp), raw(nonce), raw(seed), str(contest), str(kind), str(option)];
  }

  // src/proofs.js
  var isReal = (j, real) => BigInt(j === real);
  function withBytes(point) {
    return { point, bytes: elementBytes(point) };
  }
  function selectionChallenge(statement) {
    return HS(TAGS.selectionProof, selectionChallengeItems(statement));
  }
  function selectionChallengeItems({ fp, nonce, contest, option, p, alpha, beta, commitments }) {
    return [
      raw(fp),
      raw(nonce),
      str(contest),
      str(option),
      u32(p),
      elt(alpha),
      elt(beta),
      ...commitments.flatMap(([a, b]) => [elt(a), elt(b)])
    ];
  }
  function proveSelection({ fp, nonce, contest, option, p, h, alpha, beta, m, r, random }) {
    if (!Number.isInteger(m) || m < 0 || m > p) throw new RangeError(`no proof that ${m} is in 0\u2026${p}: it is not`);
    const draws = [];
    for (let j = 0; j <= p; j++) draws.push([randomScalar(random), randomScalar(random)]);
    const M = BigInt(m);
    const branches = draws.map(([x, y], j) => {
      const real = isReal(j, m);
      const c = Fn2.mul(x, 1n - real);
      const t = Fn2.sub(y, Fn2.mul(r, c));
      const d = Fn2.mul(Fn2.create(BigInt(j) - M), c);
      const a = withBytes(mul(G, t));
      const b = withBytes(mul(h, t).add(mul(G, d)));
      return { real, c, y, a, b };
    });
    const challenge = selectionChallenge({
      fp,
      nonce,
      contest,
      option,
      p,
      alpha: alpha.bytes,
      beta: beta.bytes,
      commitments: branches.map(({ a, b }) => [a.bytes, b.bytes])
    });
    let rest = challenge;
    for (const { c } of branches) rest = Fn2.sub(rest, c);
    return branches.map(({ real, c, y, a, b }) => ({
      a: toHex(a.bytes),
      b: toHex(b.bytes),
      c: encodeScalar(Fn2.add(c, Fn2.mul(real, rest))),
      v: encodeScalar(Fn2.add(y, Fn2.mul(real, Fn2.mul(rest, r))))
    }));
  }
  function readSelectionProof(json, path) {
    return readBranches(json, path, ["a", "b", "c", "v"], (br, at) => ({
      a: decodeWithBytes(br.a, `${at}.a`),
      b: decodeWithBytes(br.b, `${at}.b`),
      c: decodeScalar(br.c, `${at}.c`),
      v: decodeScalar(br.v, `${at}.v`)
    }));
  }
  function checkSelection({ fp, nonce, contest, option, p, h, alpha, beta, proof, path }) {
    branchCount(proof, p + 1, path);
    if (alpha.point.is0()) throw new Refused("ballot-proofs", path, "alpha is the identity element", "identity");
    const challenge = selectionChallenge({
      fp,
      nonce,
      contest,
      option,
      p,
      alpha: alpha.bytes,
      beta: beta.bytes,
      commitments: proof.map(({ a, b }) => [a.bytes, b.bytes])
    });
    sumOfChallenges(challenge, proof, path);
    proof.forEach(({ a, b, c, v }, j) => {
      const ok = G.multiplyUnsafe(v).equals(a.point.add(alpha.point.multiplyUnsafe(c))) && h.multiplyUnsafe(v).equals(b.point.add(beta.point.subtract(gPow(j)).multiplyUnsafe(c)));
      if (!ok) equationFails(path, j);
    });
  }
  var branchPair = (j) => j === 0 ? [0n, 0n] : [1n, BigInt(j)];
  function contestChallenge(statement) {
    return HS(TAGS.contestProof, contestChallengeItems(statement));
  }
  function contestChallengeItems({ fp, nonce, contest, L, indicator, sum, commitments }) {
    return [
      raw(fp),
      raw(nonce),
      str(contest),
      u32(L),
      elt(indicator[0]),
      elt(indicator[1]),
      elt(sum[0]),
      elt(sum[1]),
      ...commitments.flatMap((four) => four.map(elt))
    ];
  }
  function proveContest({ fp, nonce, contest, L, h, indicator, sum, b, total, rx, R, random }) {
    if (!Number.isInteger(total) || total < 0 || total > L || b !== (total >= 1 ? 1 : 0)) {
      throw new RangeError(`no proof for (b, \u03A3) = (${b}, ${total}) with L = ${L}: it is not true`);
    }
    const k = total;
    const draws = [];
    for (let j = 0; j <= L; j++) draws.push([randomScalar(random), randomScalar(random), randomScalar(random)]);
    const B = BigInt(b);
    const S = BigInt(total);
    const branches = draws.map(([x, y1, y2], j) => {
      const real = isReal(j, k);
      const [bj, sj] = branchPair(j);
      const c = Fn2.mul(x, 1n - real);
      const t1 = Fn2.sub(y1, Fn2.mul(rx, c));
      const t2 = Fn2.sub(y2, Fn2.mul(R, c));
      const d1 = Fn2.mul(Fn2.create(bj - B), c);
      const d2 = Fn2.mul(Fn2.create(sj - S), c);
      const four = [
        withBytes(mul(G, t1)),
        withBytes(mul(h, t1).add(mul(G, d1))),
        withBytes(mul(G, t2)),
        withBytes(mul(h, t2).add(mul(G, d2)))
      ];
      return { real, c, y1, y2, four };
    });
    const challenge = contestChallenge({
      fp,
      nonce,
      contest,
      L,
      indicator: indicator.map((e) => e.bytes),
      sum: sum.map((e) => e.bytes),
      commitments: branches.map(({ four }) => four.map((e) => e.bytes))
    });
    let rest = challenge;
    for (const { c } of branches) rest = Fn2.sub(rest, c);
    return branches.map(({ real, c, y1, y2, four }) => ({
      a1: toHex(four[0].bytes),
      b1: toHex(four[1].bytes),
      a2: toHex(four[2].bytes),
      b2: toHex(four[3].bytes),
      c: encodeScalar(Fn2.add(c, Fn2.mul(real, rest))),
      v1: encodeScalar(Fn2.add(y1, Fn2.mul(real, Fn2.mul(rest, rx)))),
      v2: encodeScalar(Fn2.add(y2, Fn2.mul(real, Fn2.mul(rest, R))))
    }));
  }
  function readContestProof(json, path) {
    return readBranches(json, path, ["a1", "b1", "a2", "b2", "c", "v1", "v2"], (br, at) => ({
      four: ["a1", "b1", "a2", "b2"].map((key) => decodeWithBytes(br[key], `${at}.${key}`)),
      c: decodeScalar(br.c, `${at}.c`),
      v1: decodeScalar(br.v1, `${at}.v1`),
      v2: decodeScalar(br.v2, `${at}.v2`)
    }));
  }
  function checkContest({ fp, nonce, contest, L, h, indicator, sum, proof, path }) {
    branchCount(proof, L + 1, path);
    if (indicator[0].point.is0()) throw new Refused("ballot-proofs", path, "the indicator's alpha is the identity element", "identity");
    const challenge = contestChallenge({
      fp,
      nonce,
      contest,
      L,
      indicator: indicator.map((e) => e.bytes),
      sum: sum.map((e) => e.bytes),
      commitments: proof.map(({ four }) => four.map((e) => e.bytes))
    });
    sumOfChallenges(challenge, proof, path);
    const [ax, bx] = indicator.map((e) => e.point);
    const [as, bs] = sum.map((e) => e.point);
    proof.forEach(({ four, c, v1, v2 }, j) => {
      const [bj, sj] = branchPair(j);
      const [a1, b1, a2, b2] = four.map((e) => e.point);
      const ok = G.multiplyUnsafe(v1).equals(a1.add(ax.multiplyUnsafe(c))) && h.multiplyUnsafe(v1).equals(b1.add(bx.subtract(gPow(bj)).multiplyUnsafe(c))) && G.multiplyUnsafe(v2).equals(a2.add(as.multiplyUnsafe(c))) && h.multiplyUnsafe(v2).equals(b2.add(bs.subtract(gPow(sj)).multiplyUnsafe(c)));
      if (!ok) equationFails(path, j);
    });
  }
  function decodeWithBytes(hex, path) {
    return { point: decodeElement(hex, path), bytes: hexBytes(hex, 32, path) };
  }
  function sumOfChallenges(challenge, branches, path) {
    let sum = 0n;
    for (const { c } of branches) sum = Fn2.add(sum, c);
    if (sum !== challenge) {
      throw new Refused(
        "ballot-proofs",
        path,
        "the challenge recomputed from the statement and commitments is not the sum of the branch challenges",
        "challenge"
      );
    }
  }
  function branchCount(proof, count, path) {
    if (proof.length !== count) {
      throw new Refused("ballot-proofs", path, `the proof has ${proof.length} branches where ${count} are required`, "branch-count");
    }
  }
  function equationFails(path, j) {
    const e = new Refused("ballot-proofs", path, `the verification equation of branch ${j} does not hold`, "equation");
    e.branch = j;
    throw e;
  }
  function readBranches(json, path, keys, read) {
    if (!Array.isArray(json)) throw new Refused("format", path, "expected an array of branches");
    return json.map((br, j) => {
      exactKeys(br, keys, `${path}[${j}]`);
      return read(br, `${path}[${j}]`);
    });
  }
  function exactKeys(obj, keys, path) {
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
      throw new Refused("format", path, "expected an object");
    }
    for (const key of Object.keys(obj)) {
      if (!keys.includes(key)) throw new Refused("format", join(path, key), "a member the format does not define");
    }
    for (const key of keys) {
      if (!(key in obj)) throw new Refused("format", join(path, key), "missing");
    }
  }
  function join(path, key) {
    return path ? `${path}.${key}` : key;
  }

  // src/ballot.js
  var BALLOT_FORMAT = "teller-encrypted-ballot/1";
  var AUDITED_FORMAT = "teller-audited-ballot/1";
  function electionParams({ election, definition, encryption, weight = "1" }) {
    const limits = contestLimits(definition);
    const h = prepareKey(decodeElement(encryption.joint_key, "encryption.joint_key", { nonIdentity: true }));
    const verificationKeys = encryption.verification_keys.map(({ trustee, key }, i) => ({
      trustee,
      key: decodeElement(key, `encryption.verification_keys[${i}].key`, { nonIdentity: true })
    }));
    const fp = fingerprint({
      election,
      definitionHash: definitionHash(definition),
      threshold: encryption.threshold,
      jointKey: h,
      verificationKeys
    });
    return { election, definition, encryption, weight, limits, h, fp };
  }
  function trackerOf(ballot) {
    return toHex(sha256(canonicalBytes(ballot)));
  }
  var UnusableSeed = class extends Error {
  };
  function encryptBallot(params, counts, seed, nonce, random) {
    const { fp, h } = params;
    const contests = params.limits.map(({ id, options }) => {
      const rs = options.map((option) => optionNonce(fp, nonce, seed, id, option));
      const rx = indicatorNonce(fp, nonce, seed, id);
      if (rs.includes(0n) || rx === 0n) throw new UnusableSeed();
      return { rs, rx };
    });
    const out = params.limits.map(({ id, options, p, L }, ci) => {
      const { rs, rx } = contests[ci];
      const m = counts.get(id);
      const total = m.reduce((s, x) => s + x, 0);
      const b = total >= 1 ? 1 : 0;
      const cts = options.map((_, i) => withBytes2(encrypt(h, m[i], rs[i])));
      const ind = withBytes2(encrypt(h, b, rx));
      const selections = options.map((option, i) => ({
        option,
        alpha: toHex(cts[i].alpha.bytes),
        beta: toHex(cts[i].beta.bytes),
        proof: proveSelection({
          fp,
          nonce,
          contest: id,
          option,
          p,
          h,
          alpha: cts[i].alpha,
          beta: cts[i].beta,
          m: m[i],
          r: rs[i],
          random
        })
      }));
      const sum = withBytes2(cts.map(({ raw: raw2 }) => raw2).reduce(combine));
      const R = rs.reduce((s, r) => Fn2.add(s, r), 0n);
      const proof = proveContest({
        fp,
        nonce,
        contest: id,
        L,
        h,
        indicator: [ind.alpha, ind.beta],
        sum: [sum.alpha, sum.beta],
        b,
        total,
        rx,
        R,
        random
      });
      return {
        contest: id,
        selections,
        indicator: { alpha: toHex(ind.alpha.bytes), beta: toHex(ind.beta.bytes) },
        proof
      };
    });
    const ballot = {
      format: BALLOT_FORMAT,
      election: params.election,
      fingerprint: toHex(fp),
      nonce: toHex(nonce),
      weight: params.weight,
      contests: out
    };
    return { ballot, tracker: trackerOf(ballot) };
  }
  function createBallot(params, choices, random) {
    const counts = countsFromChoices(params.limits, choices);
    for (; ; ) {
      const seed = random(32);
      const nonce = random(16);
      try {
        return { ...encryptBallot(params, counts, seed, nonce, random), seed };
      } catch (e) {
        if (!(e instanceof UnusableSeed)) throw e;
      }
    }
  }
  function warmUp(params, random) {
    const { fp, h } = params;
    const nonce = random(16);
    const r = randomScalar(random);
    const ct = withBytes2(encrypt(h, 1, r));
    proveSelection({ fp, nonce, contest: "warm-up", option: "warm-up", p: 1, h, alpha: ct.alpha, beta: ct.beta, m: 1, r, random });
    proveContest({
      fp,
      nonce,
      contest: "warm-up",
      L: 1,
      h,
      indicator: [ct.alpha, ct.beta],
      sum: [ct.alpha, ct.beta],
      b: 1,
      total: 1,
      rx: r,
      R: r,
      random
    });
  }
  function auditedBallot(params, ballot, tracker, seed, choices) {
    return {
      format: AUDITED_FORMAT,
      definition: params.definition,
      encryption: params.encryption,
      ballot,
      tracker,
      seed: toHex(seed),
      choices
    };
  }
  function withBytes2(ct) {
    return {
      raw: ct,
      alpha: { point: ct.alpha, bytes: elementBytes(ct.alpha) },
      beta: { point: ct.beta, bytes: elementBytes(ct.beta) }
    };
  }

  // src/verify.js
  var UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  var WEIGHT = /^(0|[1-9][0-9]{0,12})(\.[0-9]{0,5}[1-9])?$/;
  function string2(v, path) {
    if (typeof v !== "string") throw new Refused("format", path, "expected a string");
    return v;
  }
  function isCanonicalWeight(w) {
    if (typeof w !== "string" || !WEIGHT.test(w)) return false;
    const [whole, fraction] = w.split(".");
    return BigInt(whole) < 10n ** 12n || BigInt(whole) === 10n ** 12n && fraction === void 0;
  }
  function decoded(hex, path) {
    return { point: decodeElement(hex, path), bytes: hexBytes(hex, 32, path) };
  }
  function readBallot(json, { withElection = true, path = "" } = {}) {
    const at = (key) => join(path, key);
    const keys = ["format", "fingerprint", "nonce", "weight", "contests"];
    exactKeys(json, withElection ? ["election", ...keys] : keys, path);
    const format = string2(json.format, at("format"));
    if (withElection && !UUID.test(string2(json.election, at("election")))) {
      throw new Refused("format", at("election"), "not an election id in its canonical form");
    }
    const fp = hexBytes(json.fingerprint, 32, at("fingerprint"));
    const nonce = hexBytes(json.nonce, 16, at("nonce"));
    if (!isCanonicalWeight(json.weight)) throw new Refused("format", at("weight"), "not a weight as FORMAT.md \xA74 spells it");
    if (!Array.isArray(json.contests)) throw new Refused("format", at("contests"), "expected an array");
    const contests = json.contests.map((c, i) => {
      const cpath = `${at("contests")}[${i}]`;
      exactKeys(c, ["contest", "selections", "indicator", "proof"], cpath);
      const id = string2(c.contest, `${cpath}.contest`);
      if (!Array.isArray(c.selections)) throw new Refused("format", `${cpath}.selections`, "expected an array");
      const selections = c.selections.map((s, j) => {
        const spath = `${cpath}.selections[${j}]`;
        exactKeys(s, ["option", "alpha", "beta", "proof"], spath);
        return {
          option: string2(s.option, `${spath}.option`),
          alpha: decoded(s.alpha, `${spath}.alpha`),
          beta: decoded(s.beta, `${spath}.beta`),
          proof: readSelectionProof(s.proof, `${spath}.proof`),
          path: spath
        };
      });
      exactKeys(c.indicator, ["alpha", "beta"], `${cpath}.indicator`);
      const indicator = {
        alpha: decoded(c.indicator.alpha, `${cpath}.indicator.alpha`),
        beta: decoded(c.indicator.beta, `${cpath}.indicator.beta`)
      };
      return { id, selections, indicator, proof: readContestProof(c.proof, `${cpath}.proof`), path: cpath };
    });
    return { format, election: json.election, fp, nonce, weight: json.weight, contests, path };
  }
  function checkShape(ballot, params) {
    const at = (key) => join(ballot.path, key);
    if (ballot.format !== BALLOT_FORMAT) {
      throw new Refused("format", at("format"), `expected "${BALLOT_FORMAT}", found ${JSON.stringify(ballot.format)}`);
    }
    if (ballot.contests.length !== params.limits.length) {
      throw new Refused("ballot-shape", at("contests"), `expected ${params.limits.length} contests, found ${ballot.contests.length}`);
    }
    params.limits.forEach((limit, i) => {
      const c = ballot.contests[i];
      if (c.id !== limit.id) throw new Refused("ballot-shape", `${c.path}.contest`, `expected "${limit.id}", found ${JSON.stringify(c.id)}`);
      if (c.selections.length !== limit.options.length) {
        throw new Refused("ballot-shape", `${c.path}.selections`, `expected ${limit.options.length} options, found ${c.selections.length}`);
      }
      limit.options.forEach((option, j) => {
        const s = c.selections[j];
        if (s.option !== option) throw new Refused("ballot-shape", `${s.path}.option`, `expected "${option}", found ${JSON.stringify(s.option)}`);
        if (s.proof.length !== limit.p + 1) {
          throw new Refused("ballot-shape", `${s.path}.proof`, `expected ${limit.p + 1} branches, found ${s.proof.length}`);
        }
      });
      if (c.proof.length !== limit.L + 1) {
        throw new Refused("ballot-shape", `${c.path}.proof`, `expected ${limit.L + 1} branches, found ${c.proof.length}`);
      }
      Object.assign(c, { p: limit.p, L: limit.L });
    });
  }
  function alphas(ballot) {
    return ballot.contests.flatMap((c) => [
      ...c.selections.map((s) => [s.alpha, `${s.path}.alpha`]),
      [c.indicator.alpha, `${c.path}.indicator.alpha`]
    ]);
  }
  function checkBallot(ballot, params, { withElection = true, weight = true } = {}) {
    const at = (key) => join(ballot.path, key);
    checkShape(ballot, params);
    if (withElection && ballot.election !== params.election) {
      throw new Refused("ballot-election", at("election"), `the ballot is for election ${ballot.election}, not this one`);
    }
    if (toHex(ballot.fp) !== toHex(params.fp)) {
      throw new Refused("ballot-fingerprint", at("fingerprint"), `the ballot's fingerprint ${toHex(ballot.fp)} is not this election's (${toHex(params.fp)})`);
    }
    if (weight && ballot.weight !== params.weight) {
      throw new Refused("ballot-weight", at("weight"), `the ballot's weight ${ballot.weight} is not the member's weight ${params.weight}`);
    }
    const all = alphas(ballot);
    for (const [alpha, path] of all) {
      if (alpha.point.is0()) throw new Refused("ballot-elements", path, `${path} is the identity element`, "identity");
    }
    const seen = /* @__PURE__ */ new Set();
    for (const [alpha, path] of all) {
      const hex = toHex(alpha.bytes);
      if (seen.has(hex)) throw new Refused("ballot-duplicates", path, `${path} is an alpha already used (in this ballot)`);
      seen.add(hex);
    }
  }
  function verifyProofs(ballot, params) {
    const { fp, nonce } = ballot;
    const { h } = params;
    for (const c of ballot.contests) {
      for (const s of c.selections) {
        checkSelection({
          fp,
          nonce,
          contest: c.id,
          option: s.option,
          p: c.p,
          h,
          alpha: s.alpha,
          beta: s.beta,
          proof: s.proof,
          path: `${s.path}.proof`
        });
      }
      const sum = c.selections.map((s) => ({ alpha: s.alpha.point, beta: s.beta.point })).reduce(combine);
      checkContest({
        fp,
        nonce,
        contest: c.id,
        L: c.L,
        h,
        indicator: [c.indicator.alpha, c.indicator.beta],
        sum: [sum.alpha, sum.beta].map((point) => ({ point, bytes: elementBytes(point) })),
        proof: c.proof,
        path: `${c.path}.proof`
      });
    }
  }
  function openBallot(ballot, seed, params) {
    checkShape(ballot, params);
    const { fp, nonce } = ballot;
    const counts = /* @__PURE__ */ new Map();
    for (const c of ballot.contests) {
      const m = c.selections.map((s) => opened(params.h, optionNonce(fp, nonce, seed, c.id, s.option), s, c.p, s.path));
      const total = m.reduce((x, y) => x + y, 0);
      const rx = indicatorNonce(fp, nonce, seed, c.id);
      const b = opened(params.h, rx, c.indicator, 1, `${c.path}.indicator`);
      if (b !== (total >= 1 ? 1 : 0)) {
        throw new Refused("audit-opening", `${c.path}.indicator`, "the indicator does not match the selections");
      }
      if (total > c.L) throw new Refused("audit-opening", c.path, `more than ${c.L} in the contest`);
      counts.set(c.id, m);
    }
    return counts;
  }
  function opened(h, r, ct, max, path) {
    const expected = encrypt(h, 0, r);
    if (!expected.alpha.equals(ct.alpha.point)) {
      throw new Refused("audit-opening", `${path}.alpha`, "not g^r for the r the seed gives");
    }
    const gm = ct.beta.point.subtract(expected.beta);
    for (let m = 0; m <= max; m++) if (gm.equals(gPow(m))) return m;
    throw new Refused("audit-opening", `${path}.beta`, `does not open to a count from 0 to ${max}`);
  }
  function verifyAudited(file) {
    exactKeys(file, ["format", "definition", "encryption", "ballot", "tracker", "seed", "choices"], "");
    if (file.format !== AUDITED_FORMAT) throw new Refused("format", "format", `expected "${AUDITED_FORMAT}"`);
    exactKeys(file.encryption, ["threshold", "joint_key", "verification_keys"], "encryption");
    exactKeys(file.ballot, ["format", "election", "fingerprint", "nonce", "weight", "contests"], "ballot");
    const seed = hexBytes(file.seed, 32, "seed");
    const tracker = hexBytes(file.tracker, 32, "tracker");
    if (!UUID.test(string2(file.ballot.election, "ballot.election"))) {
      throw new Refused("format", "ballot.election", "not an election id in its canonical form");
    }
    const params = electionParams({
      election: file.ballot.election,
      definition: file.definition,
      encryption: file.encryption,
      weight: file.ballot.weight
    });
    const ballot = readBallot(file.ballot, { path: "ballot" });
    asFormat(() => checkShape(ballot, params));
    if (file.ballot.fingerprint !== toHex(params.fp)) {
      throw new Refused("audit-fingerprint", "ballot.fingerprint", `the fingerprint recomputed from the file is ${toHex(params.fp)}`);
    }
    asFormat(() => checkBallot(ballot, params, { weight: false }));
    if (toHex(tracker) !== trackerOf(file.ballot)) {
      throw new Refused("audit-tracker", "tracker", "not SHA-256 of the canonical ballot");
    }
    try {
      verifyProofs(ballot, params);
    } catch (e) {
      if (e instanceof Refused && e.check === "ballot-proofs") throw new Refused("audit-proofs", e.path, e.reason, e.code);
      throw e;
    }
    const counts = openBallot(ballot, seed, params);
    const choices = file.choices;
    if (choices === null || typeof choices !== "object" || Array.isArray(choices)) {
      throw new Refused("format", "choices", "expected an object");
    }
    let claimed;
    try {
      claimed = countsFromChoices(params.limits, choices);
    } catch (e) {
      if (e instanceof Refused) throw new Refused("audit-opening", e.path, e.reason);
      throw e;
    }
    for (const { id } of params.limits) {
      if (claimed.get(id).join() !== counts.get(id).join()) {
        throw new Refused("audit-opening", `choices.${id}`, "the ballot does not encrypt these choices");
      }
    }
    return {
      fingerprint: toHex(params.fp),
      tracker: toHex(tracker),
      counts,
      choices: choicesFromCounts(params.limits, counts)
    };
  }
  function asFormat(f) {
    try {
      f();
    } catch (e) {
      if (e instanceof Refused && e.check.startsWith("ballot-")) throw new Refused("format", e.path, e.reason, e.code);
      throw e;
    }
  }

  // src/booth.js
  var MARK_FIELD = /^[cwrp]\./;
  var CAST_ONLY = "[data-teller-cast], [data-teller-check], [data-teller-cast-only]";
  var form = document.querySelector("form[data-teller-encrypt]");
  var panel = document.querySelector("[data-teller-booth]");
  if (form && panel) start(form, panel).catch((e) => block(form, panel, "failed", e));
  async function start(form2, panel2) {
    const source = form2.dataset.tellerEncryptSrc;
    const given = source ? await (await fetch(source, { credentials: "same-origin", headers: { Accept: "application/json" } })).json() : JSON.parse(form2.dataset.tellerEncrypt);
    let params;
    try {
      params = electionParams(given);
    } catch (e) {
      block(form2, panel2, "failed", e);
      return;
    }
    const fp = toHex(params.fp);
    if (given.fingerprint !== void 0 && given.fingerprint !== fp) {
      block(form2, panel2, "mismatch", new Error(`fingerprint ${fp} is not the page's ${given.fingerprint}`));
      return;
    }
    fill(panel2, "[data-teller-fingerprint]", fp.slice(0, 16));
    setTimeout(() => warmUp(params, randomBytes), 0);
    let current = null;
    form2.addEventListener("submit", async (event) => {
      event.preventDefault();
      let choices;
      try {
        choices = choicesFromForm(form2, params.limits);
      } catch (e) {
        say(panel2, "invalid", e);
        return;
      }
      say(panel2, "encrypting");
      await new Promise((resolve) => setTimeout(resolve, 0));
      try {
        current = { ...createBallot(params, choices, randomBytes), choices };
      } catch (e) {
        say(panel2, e instanceof Refused ? "invalid" : "failed", e);
        return;
      }
      fill(panel2, "[data-teller-tracker]", current.tracker);
      show(panel2, "[data-teller-audit]", false);
      show(panel2, CAST_ONLY, true);
      panel2.hidden = false;
      form2.inert = true;
      say(panel2, "ready");
      panel2.querySelector("[data-teller-cast]")?.focus();
    });
    on(panel2, "[data-teller-cast]", () => {
      if (!current) return;
      const post = document.createElement("form");
      post.method = "post";
      post.action = form2.dataset.tellerCastAction;
      for (const input of form2.querySelectorAll("input[type=hidden]")) {
        if (!MARK_FIELD.test(input.name)) post.append(hidden(input.name, input.value));
      }
      post.append(hidden("encrypted_ballot", canonical(current.ballot)));
      const confirm = panel2.querySelector("input[data-teller-confirm]");
      if (confirm?.checked) post.append(hidden(confirm.name, confirm.value));
      current.seed.fill(0);
      current = null;
      document.body.append(post);
      post.submit();
    });
    on(panel2, "[data-teller-check]", async () => {
      if (!current) return;
      const { ballot, tracker, seed, choices } = current;
      current = null;
      show(panel2, CAST_ONLY, false);
      say(panel2, "checking");
      await new Promise((resolve) => setTimeout(resolve, 0));
      const file = auditedBallot(params, ballot, tracker, seed, choices);
      const opened2 = verifyAudited(JSON.parse(JSON.stringify(file)));
      showChoices(panel2, form2, params, opened2.choices);
      const download = panel2.querySelector("[data-teller-audit-download]");
      if (download) {
        const blob = new Blob([JSON.stringify(file, null, 2) + "\n"], { type: "application/json" });
        download.href = URL.createObjectURL(blob);
        download.download = `audited-ballot-${tracker.slice(0, 16)}.json`;
      }
      show(panel2, "[data-teller-audit]", true);
      panel2.querySelector("[data-teller-again]")?.focus();
      try {
        const answer = await fetch(form2.dataset.tellerAuditAction, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(file)
        });
        say(panel2, answer.ok ? "audit-sent" : "audit-unsent");
      } catch (e) {
        say(panel2, "audit-unsent", e);
      }
    });
    const again = () => {
      if (current) current.seed.fill(0);
      current = null;
      panel2.hidden = true;
      form2.inert = false;
      say(panel2, null);
      form2.querySelector("input, select, button")?.focus();
    };
    on(panel2, "[data-teller-again]", again);
    on(panel2, "[data-teller-change]", again);
  }
  function choicesFromForm(form2, limits) {
    const data = new FormData(form2);
    const choices = {};
    for (const { id, options } of limits) {
      if (data.getAll(`w.${id}`).some((w) => String(w).trim() !== "")) {
        throw new Refused("ballot-validity", `choices.${id}`, "write-ins cannot be encrypted");
      }
      const ticked = new Set(data.getAll(`c.${id}`).map(String));
      choices[id] = options.flatMap((option) => {
        const points = String(data.get(`p.${id}.${option}`) ?? "").trim();
        if (points !== "") {
          if (!/^\d{1,3}$/.test(points)) throw new Refused("ballot-validity", `choices.${id}`, "points must be whole numbers");
          return Array(Number(points)).fill(option);
        }
        return ticked.has(option) ? [option] : [];
      });
    }
    return choices;
  }
  function showChoices(panel2, form2, params, choices) {
    const list2 = panel2.querySelector("[data-teller-audit-choices]");
    if (!list2) return;
    list2.replaceChildren();
    for (const { id } of params.limits) {
      const contest = params.definition.contests.find((c) => c.id === id);
      const item = document.createElement("li");
      const names = choices[id].map((option) => {
        const input = [...form2.querySelectorAll("input, select")].find(
          (el) => el.name === `c.${id}` && el.value === option || el.name === `p.${id}.${option}`
        );
        const label = input?.labels?.[0]?.textContent?.trim();
        return label || contest.candidates.find((c) => c.id === option)?.name || option;
      });
      item.textContent = `${contest.title}: ${names.length ? names.join(", ") : panel2.dataset.msgBlank ?? "\u2014"}`;
      list2.append(item);
    }
  }
  function hidden(name, value2) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value2;
    return input;
  }
  function on(panel2, selector, handler) {
    panel2.querySelector(selector)?.addEventListener("click", handler);
  }
  function fill(panel2, selector, text) {
    for (const el of panel2.querySelectorAll(selector)) el.textContent = text;
  }
  function show(panel2, selector, visible) {
    for (const el of panel2.querySelectorAll(selector)) el.hidden = !visible;
  }
  function say(panel2, key, error) {
    if (error) console.error(error);
    const status = document.querySelector("[data-teller-status]");
    if (!status) return;
    const message = key ? panel2.dataset[`msg${key.replace(/(^|-)(\w)/g, (_, __, c) => c.toUpperCase())}`] : "";
    status.textContent = message ?? (error ? String(error.message ?? error) : "");
    if (key === "invalid" && error instanceof Refused) {
      const contest = error.path.replace(/^choices\./, "");
      document.getElementById(`contest-${contest}`)?.scrollIntoView({ block: "center" });
    }
  }
  function block(form2, panel2, key, error) {
    form2.addEventListener("submit", (event) => {
      event.preventDefault();
      say(panel2, key, error);
    });
    say(panel2, key, error);
  }
})();
