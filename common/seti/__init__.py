"""SETI Breakthrough Listen: its Kaggle layout, synthetic cadences, front end, augmentations and test-time views."""
