"""A fast SMTP sink for the updates benchmark: accepts every message, keeps nothing, counts them.

    python bench/updates_smtp_sink.py PORT          # prints the count on SIGTERM / SIGINT

Plain asyncio (no aiosmtpd): the relay in the benchmark must cost as little as possible, so that the
figures measure our sender, not the sink.
"""

from __future__ import annotations

import asyncio
import signal
import sys

count = 0


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    global count
    writer.write(b"220 sink ESMTP\r\n")
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                writer.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go ahead\r\n")
                await writer.drain()
                while True:
                    body = await reader.readline()
                    if not body or body == b".\r\n":
                        break
                count += 1
                writer.write(b"250 OK\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:  # MAIL, RCPT, RSET, NOOP
                writer.write(b"250 OK\r\n")
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    async with server:
        await stop.wait()
    print(count, flush=True)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
