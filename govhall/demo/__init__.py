"""The invented demo city: halls, catalogue, bundles and live traffic."""
