"""Networks and adapters (torch): reconstruction-map adapter, U-Net, FIRENET, LISTA.

Import the submodules directly (``theorycheck.nets.adapters`` etc.); this
package imports nothing eagerly so that ``import theorycheck`` stays light.

Theorem: none (models under test and unrolled solvers).
Rigor: not applicable.
"""
