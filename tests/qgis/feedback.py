"""A Processing feedback that presses cancel, as a user would, when a progress message shows."""

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
