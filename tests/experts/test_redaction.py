from experts.redaction import redact, register_pattern


def test_redact_removes_email_phone_iban_and_order_number():
    text = (
        "Mail me at sanne.devries@example.nl or call 06-12345678 / +31 20 123 4567. "
        "My IBAN is NL91 ABNA 0417 1643 00 and ordernummer: VK-2024-88731."
    )
    clean, counts = redact(text)
    assert "sanne.devries" not in clean
    assert "12345678" not in clean
    assert "123 4567" not in clean
    assert "0417" not in clean
    assert "88731" not in clean
    assert counts == {"email": 1, "phone": 2, "iban": 1, "order_number": 1}


def test_redact_keeps_ordinary_numbers_and_text():
    text = "I used 3500 kWh in 2024 and pay 120 euro a month."
    assert redact(text) == (text, {})


def test_redact_leaves_iban_shaped_text_with_a_bad_checksum():
    clean, counts = redact("Reference NL00 ABNA 0000 0000 00 is not an IBAN.")
    assert "iban" not in counts


def test_redaction_patterns_can_be_extended(settings):
    settings.REDACTION_EXTRA_PATTERNS = [r"contract=\bCT-\d{6}\b"]
    clean, counts = redact("My contract CT-123456 ends soon.")
    assert "CT-123456" not in clean
    assert counts == {"contract": 1}


def test_register_pattern_adds_a_named_pattern():
    from experts import redaction

    before = list(redaction._patterns)
    try:
        register_pattern("meter", r"\bE\d{10}\b", "[meter removed]")
        clean, counts = redact("Meter E0012345678 shows zero.")
        assert clean == "Meter [meter removed] shows zero."
        assert counts == {"meter": 1}
    finally:
        redaction._patterns[:] = before


def test_lowercase_iban_is_redacted_too():
    clean, counts = redact("iban nl91abna0417164300 please")
    assert counts == {"iban": 1}
    assert "nl91" not in clean
