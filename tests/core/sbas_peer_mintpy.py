"""Run MintPy's inversion of an ifgramStack.h5 (run inside the peer venv, by subprocess).

Usage: python sbas_peer_mintpy.py STACK WEIGHT(no|coh|fim|var) MIN_NORM_VELOCITY(0|1)
       MASK_DATASET(none|coherence|connectComponent) MASK_THRESHOLD OUT.npz

Writes ts (metres), tcoh, num (pairs used) after MintPy's reference-pixel update, plus the
wall time and peak resident memory of the inversion.
"""

import resource
import sys
import time

import numpy as np
from mintpy import ifgram_inversion
from mintpy.objects import ifgramStack


def main(stack, weight, min_norm, mask_ds, mask_threshold, out):
    obj = ifgramStack(stack)
    obj.open(print_msg=False)
    ref_phase = obj.get_reference_phase(dropIfgram=True)
    started = time.perf_counter()
    ts, _, tcoh, num, _ = ifgram_inversion.run_ifgram_inversion_patch(
        stack,
        box=None,
        ref_phase=ref_phase,
        weight_func=weight,
        min_norm_velocity=bool(int(min_norm)),
        mask_ds_name=None if mask_ds == "none" else mask_ds,
        mask_threshold=float(mask_threshold),
    )
    seconds = time.perf_counter() - started
    ref_y, ref_x = int(obj.metadata["REF_Y"]), int(obj.metadata["REF_X"])
    tcoh[ref_y, ref_x] = 1.0
    num[ref_y, ref_x] = obj.get_size(dropIfgram=True)[0]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    np.savez(out, ts=ts, tcoh=tcoh, num=num, seconds=seconds, peak_mb=peak_mb)


if __name__ == "__main__":
    main(*sys.argv[1:])
