"""wtkb's pages for people, rendered on the server and mounted on the API's app."""
