"""The partner API (`/api/v1/`): a council's CRM, back office and web forms create cases,
read them, move them on and catch up on every change, by the same process ID the citizen
and the caseworker use. Every write goes through `cases.services` as `Actor.partner`."""
