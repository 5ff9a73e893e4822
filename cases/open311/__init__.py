"""Open311 GeoReport v2 for street reports, at /open311/v2/: the services a council's
street reports offer, reports made and read as Open311 clients (FixMyStreet) expect, and
the mySociety extension FixMyStreet follows them with (`servicerequestupdates`).

Everything is answered as XML or JSON (by the address's suffix) from one tree of plain
values (`cases.open311.render`); reports are made through `cases.services.case_create`,
as the citizen's pages and the partner API make them."""
