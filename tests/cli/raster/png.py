"""png.py — a small PNG reader for the raster tile tests, independent of
plankit and Cairo: 8-bit RGB or RGBA, non-interlaced, every filter type.

    python3 png.py info FILE             -> "WIDTH HEIGHT CHANNELS"
    python3 png.py pixel FILE X Y        -> "R G B A"
"""
import struct
import sys
import zlib


def read(path):
    """(width, height, channels, rows) with rows a list of bytearrays."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError(f'{path}: not a PNG')
    pos, idat, width = 8, b'', None
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if zlib.crc32(kind + body) != struct.unpack('>I', data[pos + 8 + n:pos + 12 + n])[0]:
            raise ValueError(f'{path}: bad CRC in {kind}')
        if kind == b'IHDR':
            width, height, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError(f'{path}: unsupported PNG (depth {depth}, colour type {ctype})')
            channels = 3 if ctype == 2 else 4
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
    for y in range(height):
        ftype, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, channels, rows


def pixel(img, x, y):
    w, h, ch, rows = img
    px = rows[y][x * ch:(x + 1) * ch]
    return tuple(px) + ((255,) if ch == 3 else ())


if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'info':
        w, h, ch, _ = read(sys.argv[2])
        print(w, h, ch)
    elif cmd == 'pixel':
        print(*pixel(read(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
