"""Technical assistance (issue 16): governments' requests from filing to delivered help,
their lifecycle (:mod:`.lifecycle`) and the service that moves them (:mod:`.service`)."""
