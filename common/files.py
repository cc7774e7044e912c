"""Output folders the data generators write into: refuse to mix two datasets. No heavy imports."""
import shutil
from pathlib import Path

from common.errors import UserError


def prepare_dataset_dir(out, written: list[str], overwrite: bool) -> Path:
    """Create `out` for a new dataset whose files and folders are `written` (relative to out); a dataset
    already there is an error unless overwrite, which deletes exactly those names first."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; give a folder")
    present = [name for name in written if (out / name).exists()]
    if present:
        if not overwrite:
            raise UserError(f"{out} already holds a dataset ({', '.join(present[:3])}); "
                            "pass --overwrite to replace it or choose another --out")
        for name in present:
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot create --out {out}: {e.strerror}") from None
    return out
