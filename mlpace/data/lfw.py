"""scikit-image's bundled ``lfw_subset``: 100 face crops and 100 non-face crops, 25x25 grey."""

from __future__ import annotations

import numpy as np


def load() -> tuple[np.ndarray, np.ndarray]:
    """Return ``(images, labels)``: float32 ``(200, 25, 25)`` in [0, 1]; label 1 = face, 0 = not.

    scikit-image stores the 100 faces first, then the 100 non-faces.
    """
    from skimage import data

    images = data.lfw_subset().astype(np.float32)
    labels = np.zeros(len(images), dtype=np.int64)
    labels[:100] = 1
    return images, labels
