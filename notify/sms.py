"""How many fragments a text message costs, counted the way the networks count them."""

# The GSM 03.38 basic character set, and the extension characters that take two places.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€")


def fragments(text: str) -> int:
    """1 for up to 160 GSM characters, then 153 a fragment; 70 and 67 with any other."""
    if all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text):
        length = sum(2 if ch in GSM_EXTENDED else 1 for ch in text)
        single, part = 160, 153
    else:
        length = len(text)
        single, part = 70, 67
    if length <= single:
        return 1
    return -(-length // part)
