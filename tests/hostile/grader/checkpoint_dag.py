"""Class 5 (an unbounded grader): a 1 kB checkpoint that keeps the grader's check busy for ever.

save_checkpoint writes a valid checkpoint whose pickle nests a tuple 64 levels deep, each level
holding the one below twice (a pickle memo makes that 2 references, not 2**64 objects). Loading it
is instant; the check then looks through it for the state dicts, visiting 2**64 nodes. Without a
deadline on the grader's side, the class never finishes.
"""
# expect: status=timeout notebook=07_checkpointing answer=save_checkpoint


def save_checkpoint(model, optimizer, iteration, out):
    import io
    import zipfile

    pickle = bytearray(b"\x80\x02K\x00")  # PROTO 2, the int 0
    for _ in range(64):
        pickle += b"q\x00h\x00\x86"  # BINPUT 0, BINGET 0, TUPLE2: (x, x)
    pickle += b"."
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", bytes(pickle))
        archive.writestr("archive/byteorder", "little")
        archive.writestr("archive/version", "3\n")
    data = buffer.getvalue()
    if isinstance(out, (str, bytes)) or hasattr(out, "__fspath__"):
        with open(out, "wb") as handle:
            handle.write(data)
    else:
        out.write(data)
