"""Pure computation below the views: downsampling, the comparison model with its group bands, and parameter
importance (numpy; Optuna for fANOVA). The widgets and the server extension both build on it; nothing here
imports a widget, the server, IPython or anywidget, so a REST compare request loads no notebook machinery."""
