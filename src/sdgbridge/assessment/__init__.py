"""Progress assessment: where each country and the region stand, by the published methods.

Methods are pure functions over Polars frames (``methods/``); their parameters are
versioned data files (``params/``); target values and desired directions are an editable
data table (``data/targets.csv``).
"""
