"""Copy a wasm module with some exports renamed (for the host-malloc measurement variant).

    rename_exports.py IN.wasm OUT.wasm OLD=NEW ...

Only the export section changes; everything else is copied byte for byte.
"""
import sys


def leb(data, i):
    value, shift = 0, 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, i


def enc(value):
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        out.append(b | (0x80 if value else 0))
        if not value:
            return bytes(out)


src, dst = sys.argv[1], sys.argv[2]
renames = dict(arg.split("=", 1) for arg in sys.argv[3:])
data = open(src, "rb").read()
out, i = bytearray(data[:8]), 8
done = set()
while i < len(data):
    sid = data[i]
    size, body = leb(data, i + 1)
    end = body + size
    if sid != 7:
        out += data[i:end]
    else:
        count, j = leb(data, body)
        section = bytearray(enc(count))
        for _ in range(count):
            n, j = leb(data, j)
            name = data[j:j + n].decode()
            j += n
            kind = data[j]
            index, k = leb(data, j + 1)
            new = renames.get(name, name)
            if new != name:
                done.add(name)
            section += enc(len(new.encode())) + new.encode() + bytes([kind]) + enc(index)
            j = k
        out += bytes([7]) + enc(len(section)) + section
    i = end
missing = set(renames) - done
if missing:
    sys.exit(f"no such export: {', '.join(sorted(missing))}")
open(dst, "wb").write(out)
