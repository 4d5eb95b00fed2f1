"""The resource layer: object-oriented access generated from ``resources-1.json``.

``factory`` builds the classes, ``model`` reads the JSON, ``action`` / ``params`` /
``response`` run the modeled calls, ``collection`` lists resources, ``base`` holds the
common base class and ``meta``.
"""
