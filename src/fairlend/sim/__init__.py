"""The market simulator: borrowers, other lenders and collectors acting through the services (sim/README.md)."""
