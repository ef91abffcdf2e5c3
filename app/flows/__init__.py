"""Steps that cross domains (as Dispatch's flows): a person's change that ends pairings or
cancels meals, a diner's new needs checked against their cook, the periodic jobs. Flows sit
above people (accounts, cooks, diners, moderation) and relations (matching, pairings, meals,
concerns), and below the faces (routers, pages, CLI)."""
