"""The cadence format: one (6, 273, 256) = (scan, time, frequency) array, scans in order ABACAD,
the target (ON) at 0, 2, 4 and other stars (OFF) at 1, 3, 5. No heavy imports: synth uses it too."""
CADENCE_SHAPE = N_SCANS, N_TIME, N_FREQ = 6, 273, 256
ON_SCANS, OFF_SCANS = (0, 2, 4), (1, 3, 5)
