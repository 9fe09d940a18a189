"""Reports people print and send (issue 18): a country's or the region's profile, its
figures gathered from the library (:mod:`.profile`) and turned into a PDF from the page's
HTML (:mod:`.pdf`)."""
