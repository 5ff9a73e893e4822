"""Money as the service writes it to people: pounds and pence, thousands with commas."""


def pounds(pence: float) -> str:
    """`1234550` → `"£12,345.50"`."""
    return f"£{pence / 100:,.2f}"
