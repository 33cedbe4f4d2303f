"""A team's configuration: ``wrk.yml`` in its repository (:mod:`.model`), found and read with
every value's origin (:mod:`.load`), and the effective settings it gives (:mod:`.settings`)."""
