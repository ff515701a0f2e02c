"""The service layer: typed commands in, one module per area owning its rules.

``commands`` (what can be asked), ``access`` (who may ask it), ``notices`` (what a command
says, to whom), ``outbox`` (where that goes), and the areas: ``tickets``, ``intake``,
``sla``, ``oncall``, ``knowledge``, ``people``; ``delivery`` sends the outbox.
"""
