"""Broken reference servers (`catalogue.MUTANTS`), each failing one rule.

`catalogue` is loaded first, whichever module is imported: the modules of mutants at the edges
(`edges`) build on its `Mutant`, and it gathers their mutants into `MUTANTS`.
"""

from . import catalogue as catalogue
