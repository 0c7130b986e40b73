"""Configuration in and out: Primero v2 configurations into the draft, forms as XLSForm workbooks and back."""
