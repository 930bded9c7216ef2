"""Raw array routines with no autograd: sliding windows, im2col / col2im, pooling scans.

Each routine takes and returns NumPy or CuPy arrays; where the GPU needs a hand-written kernel, its
CuPy version sits beside the NumPy one in the same file.
"""
