"""Processing feedbacks for tests: one that presses cancel, as a user would, when a progress
message shows; one that keeps what an algorithm writes to the log."""

from qgis.core import QgsProcessingFeedback


class CancelOnMessage(QgsProcessingFeedback):
    """Presses cancel when a progress message containing ``text`` is shown; keeps the progress
    percentages reported (``percentages``) and how often the message was shown (``shown``)."""

    def __init__(self, text: str):
        super().__init__()
        self.text, self.shown, self.percentages = text, 0, []

    def setProgress(self, percentage):
        self.percentages.append(percentage)
        super().setProgress(percentage)

    def pushInfo(self, info):
        super().pushInfo(info)
        if self.text in info:
            self.shown += 1
            self.cancel()


class LogFeedback(QgsProcessingFeedback):
    """Keeps what an algorithm writes to the log."""

    def __init__(self):
        super().__init__()
        self.lines, self.warnings, self.errors = [], [], []

    def pushInfo(self, info):
        self.lines.append(info)
        super().pushInfo(info)

    def setProgressText(self, text):  # the algorithm dialog logs the progress text too
        self.lines.append(text)
        super().setProgressText(text)

    def pushWarning(self, warning):
        self.warnings.append(warning)
        self.lines.append(warning)
        super().pushWarning(warning)

    def reportError(self, error, fatalError=False):
        self.errors.append(error)
        self.lines.append(error)
        super().reportError(error, fatalError)
