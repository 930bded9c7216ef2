"""Raw array routines with no autograd: the window geometry (``geometry.py``: every output-size and
padding formula, and the package's one legend of shape letters), sliding windows, im2col / col2im,
the convolution algorithms (``conv.py``), pooling scans, scatter-add.

Each routine takes and returns NumPy or CuPy arrays; where the GPU needs a hand-written kernel, its
CuPy version sits beside the NumPy one in the same file.
"""
