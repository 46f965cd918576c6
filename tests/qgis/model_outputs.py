"""Names a model gives its outputs, which changed between QGIS versions."""


def model_output_name(model, description: str) -> str:
    """The model parameter (and result key) of the model output described as ``description``:
    QGIS 3.22 names it ``child:output``, QGIS 3.40 a safe identifier made from the description;
    both keep the description."""
    names = [
        definition.name()
        for definition in model.destinationParameterDefinitions()
        if definition.description() == description
    ]
    assert len(names) == 1, f"the model has no single output described as {description!r}"
    return names[0]
