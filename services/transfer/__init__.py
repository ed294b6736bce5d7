"""Transfer service: transfer applications, their gates, hold -> receive / refund, events and settlement (SPEC R13-R19a)."""
