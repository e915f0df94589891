"""The papers officials hand in: the persuasion ledger (劝返台账) as a workbook."""
