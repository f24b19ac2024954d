"""Server-rendered pages: borrower portal, investor portal, operator console."""
