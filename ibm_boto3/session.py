"""``ibm_boto3.session.Session``: the entry point that creates clients and resources."""
from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional

import ibm_botocore.session
from ibm_botocore.config import Config


class Session:
    """Configuration and credentials shared by the clients and resources it creates.

    Credentials given here (an IBM API key, or HMAC keys) apply to every client of the
    session unless a client is given its own.
    """

    def __init__(
        self,
        aws_access_key_id: Optional[str] = None,
        aws_secret_access_key: Optional[str] = None,
        aws_session_token: Optional[str] = None,
        region_name: Optional[str] = None,
        ibm_api_key_id: Optional[str] = None,
        ibm_service_instance_id: Optional[str] = None,
        ibm_auth_endpoint: Optional[str] = None,
        auth_function: Any = None,
        token_manager: Any = None,
        botocore_session: Optional[ibm_botocore.session.Session] = None,
        profile_name: Optional[str] = None,
    ) -> None:
        if botocore_session is not None:
            self._session = botocore_session
        else:
            self._session = ibm_botocore.session.get_session()
        if self._session.user_agent_name == "ibm-cos-sdk-python-core":
            from ibm_boto3._version import __version__

            core = "%s/%s" % (self._session.user_agent_name, self._session.user_agent_version)
            self._session.user_agent_name = "ibm-cos-sdk-python"
            self._session.user_agent_version = __version__
            extra = self._session.user_agent_extra
            self._session.user_agent_extra = (extra + " " + core).strip() if extra else core
        if profile_name is not None:
            self._session.set_config_variable("profile", profile_name)
        if aws_access_key_id or aws_secret_access_key or aws_session_token or ibm_api_key_id or auth_function or token_manager:
            self._session.set_credentials(
                aws_access_key_id,
                aws_secret_access_key,
                aws_session_token,
                ibm_api_key_id,
                ibm_service_instance_id,
                ibm_auth_endpoint,
                auth_function,
                token_manager,
            )
        if region_name is not None:
            self._session.set_config_variable("region", region_name)
        self.resource_factory = None
        # the resource models are found by the core session's data loader
        from ibm_boto3.resources.factory import DATA_PATH

        self._loader = self._session.get_component("data_loader")
        search_paths = getattr(self._loader, "search_paths", None)
        if isinstance(search_paths, list) and DATA_PATH not in search_paths:
            search_paths.append(DATA_PATH)
        self._register_default_handlers()

    def __repr__(self) -> str:
        return "%s(region_name=%r)" % (self.__class__.__name__, self._session.get_config_variable("region"))

    @property
    def profile_name(self) -> str:
        return self._session.profile or "default"

    @property
    def region_name(self) -> Optional[str]:
        region: Optional[str] = self._session.get_config_variable("region")
        return region

    @property
    def events(self) -> Any:
        return self._session._events

    @property
    def available_profiles(self) -> List[str]:
        return self._session.available_profiles

    def _register_default_handlers(self) -> None:
        self._session.register("creating-client-class.s3", _inject_client_methods)
        self._session.register("creating-resource-class.s3.Bucket", _inject_bucket_methods)
        self._session.register("creating-resource-class.s3.Object", _inject_object_methods)
        self._session.register("creating-resource-class.s3.ObjectSummary", _inject_object_summary_methods)

    def get_available_services(self) -> List[str]:
        return self._session.get_available_services()

    def get_available_resources(self) -> List[str]:
        names: List[str] = self._loader.list_available_services("resources-1")
        return names

    def get_available_partitions(self) -> List[str]:
        return self._session.get_available_partitions()

    def get_available_regions(self, service_name: str, partition_name: str = "aws", allow_non_regional: bool = False) -> List[str]:
        return self._session.get_available_regions(service_name, partition_name, allow_non_regional)

    def get_credentials(self) -> Any:
        return self._session.get_credentials()

    def get_partition_for_region(self, region_name: str) -> str:
        return self._session.get_partition_for_region(region_name)

    def client(
        self,
        service_name: str,
        region_name: Optional[str] = None,
        api_version: Optional[str] = None,
        use_ssl: bool = True,
        verify: Any = None,
        endpoint_url: Optional[str] = None,
        aws_access_key_id: Optional[str] = None,
        aws_secret_access_key: Optional[str] = None,
        aws_session_token: Optional[str] = None,
        ibm_api_key_id: Optional[str] = None,
        ibm_service_instance_id: Optional[str] = None,
        ibm_auth_endpoint: Optional[str] = None,
        auth_function: Any = None,
        token_manager: Any = None,
        config: Optional[Config] = None,
    ) -> Any:
        """A low-level client for ``service_name`` (``'s3'``)."""
        return self._session.create_client(**_arguments(locals()))

    def resource(
        self,
        service_name: str,
        region_name: Optional[str] = None,
        api_version: Optional[str] = None,
        use_ssl: bool = True,
        verify: Any = None,
        endpoint_url: Optional[str] = None,
        aws_access_key_id: Optional[str] = None,
        aws_secret_access_key: Optional[str] = None,
        aws_session_token: Optional[str] = None,
        ibm_api_key_id: Optional[str] = None,
        ibm_service_instance_id: Optional[str] = None,
        ibm_auth_endpoint: Optional[str] = None,
        auth_function: Any = None,
        token_manager: Any = None,
        config: Optional[Config] = None,
    ) -> Any:
        """A resource (object-oriented interface) for ``service_name`` (``'s3'``)."""
        from ibm_boto3.resources.factory import create_service_resource, load_resource_definitions

        # an unknown resource or API version is reported before a client is made
        load_resource_definitions(self, service_name, api_version)
        if config is not None:
            if config.user_agent_extra is None:
                config = copy.deepcopy(config)
                config.user_agent_extra = "Resource"
                config._user_provided_options["user_agent_extra"] = "Resource"
        else:
            config = Config(user_agent_extra="Resource")
        client = self.client(**_arguments(locals(), "create_service_resource", "load_resource_definitions"))
        return create_service_resource(self, service_name, client, api_version)


def _arguments(values: Dict[str, Any], *local_names: str) -> Dict[str, Any]:
    """A method's arguments (its ``locals()`` at the start, less ``self`` and
    ``local_names``), to hand on unchanged to the method it wraps."""
    return {name: value for name, value in values.items() if name != "self" and name not in local_names}


def _inject_client_methods(class_attributes: Dict[str, Any], **kwargs: Any) -> None:
    from ibm_boto3.s3.inject import inject_s3_transfer_methods

    inject_s3_transfer_methods(class_attributes, **kwargs)


def _inject_bucket_methods(class_attributes: Dict[str, Any], **kwargs: Any) -> None:
    from ibm_boto3.s3.inject import inject_bucket_methods

    inject_bucket_methods(class_attributes, **kwargs)


def _inject_object_methods(class_attributes: Dict[str, Any], **kwargs: Any) -> None:
    from ibm_boto3.s3.inject import inject_object_methods

    inject_object_methods(class_attributes, **kwargs)


def _inject_object_summary_methods(class_attributes: Dict[str, Any], **kwargs: Any) -> None:
    from ibm_boto3.s3.inject import inject_object_summary_methods

    inject_object_summary_methods(class_attributes, **kwargs)
